"""Every page but the login page and static files needs a logged-in user, and none of them is kept
in a cache; the language is the organisation's (简体中文) unless the user chose another.

The API (``/api/``) authenticates each request itself (a token or the session) and answers 401
rather than redirecting to the login page."""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.middleware.locale import LocaleMiddleware
from django.utils import translation
from django.utils.cache import patch_cache_control

PUBLIC_PREFIXES = (
    "/login/",
    "/i18n/",
    "/healthz",
    "/s/",
    "/messages/receipts/",  # the SMS vendors' receipt pushes: a shared secret, no session
    "/favicon.ico",
    "/api/",
)


def public(path: str) -> bool:
    """Whether ``path`` is open without logging in (static files under the STATIC_URL of the moment)."""
    return path.startswith(PUBLIC_PREFIXES) or path.startswith("/" + settings.STATIC_URL.lstrip("/"))


class LoginRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated and not public(request.path):
            return redirect_to_login(request.get_full_path())
        return self.get_response(request)


class ChosenLanguageMiddleware(LocaleMiddleware):
    """Django's locale middleware without the browser's Accept-Language: the product speaks
    Simplified Chinese (``LANGUAGE_CODE``) to everyone — an office PC with an English Windows
    included — until the user picks a language in the menu (the ``set_language`` cookie)."""

    def process_request(self, request: HttpRequest) -> None:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class NoStoreMiddleware:
    """``Cache-Control: no-store, private`` on every response to a logged-in user: any page may
    show a customer's name or number, and none must stay in a browser's or a proxy's cache
    (issue 13). Static files are answered by whitenoise before this runs and stay cacheable."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response
