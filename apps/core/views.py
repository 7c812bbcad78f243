"""The language switcher in the admin header."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_POST
from django.views.i18n import set_language


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Django's set_language (session/cookie, redirect back), and the choice kept on the profile.

    The profile's language wins over the browser's (UserLanguageMiddleware), so a logged-in
    person's switch has to land there too, or it would be overruled on the next page.
    """
    language = request.POST.get("language", "")
    user = getattr(request, "user", None)
    if (
        user is not None
        and user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and user.language != language
    ):
        from apps.accounts.services import user_update

        user_update(user=user, data={"language": language})
    return set_language(request)
