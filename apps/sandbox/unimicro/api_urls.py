"""The API's paths (API base = <base>/sandbox/unimicro): /api/init/…, /api/biz/…"""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from . import api, runtime


@csrf_exempt
def init_companies(request: HttpRequest) -> HttpResponse:
    """`/api/init/companies` (bearer only): the identity server's view, under the API's knobs
    and request log."""
    from .identity import views

    return runtime.serve(request, lambda: views.init_companies(request))


urlpatterns = [
    path("api/init/companies", init_companies, name="sandbox_unimicro_init_companies"),
    path("api/biz/<str:plural>", api.biz, name="sandbox_unimicro_biz"),
    path("api/biz/<str:plural>/", api.biz),
    path("api/biz/<str:plural>/<str:record_id>", api.biz, name="sandbox_unimicro_biz_one"),
]
