from django.urls import path

from apps.accounts import views

app_name = "accounts"
urlpatterns = [
    path("invitation/<str:token>/", views.invitation_accept_view, name="invitation"),
]
