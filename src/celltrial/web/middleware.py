"""Refuse control characters in the address before any view or query sees them.

PostgreSQL refuses a NUL inside text (a database error, so a 500); SQLite stores it. Neither is
something a person types. A control character in the path or the query string gets the styled
400 page (the API answers its own JSON 422 naming the parameter); one in a cookie makes the cookie
count as not sent, so a forged session id never reaches the database.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from celltrial.core.fields import CONTROL_CHARACTERS

# A search box may send a tab or a line break in the query; nothing else below space is text.
_QUERY_ALLOWED = frozenset("\t\n\r")
QUERY_REFUSED = CONTROL_CHARACTERS - _QUERY_ALLOWED


def _has(text: str, refused: frozenset[str]) -> bool:
    return any(c in refused for c in text)


class RefuseControlCharactersMiddleware:
    """Placed after the authentication middleware and before anything that reads the session."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response
        self._api_prefix: str | None = None

    def api_prefix(self) -> str:
        if self._api_prefix is None:
            self._api_prefix = reverse("api:openapi-json").removesuffix("openapi.json")
        return self._api_prefix

    def __call__(self, request: HttpRequest) -> Any:
        self._drop_bad_cookies(request)
        is_api = request.path.startswith(self.api_prefix())
        if _has(request.path, CONTROL_CHARACTERS):
            if is_api:
                return JsonResponse({"detail": "Not Found"}, status=404)
            return self._refuse(request)
        bad = [(key, "query") for key, values in request.GET.lists()
               if _has(key, CONTROL_CHARACTERS) or any(_has(v, QUERY_REFUSED if not is_api else CONTROL_CHARACTERS)
                                                       for v in values)]
        if bad:
            if is_api:
                return JsonResponse({"detail": [
                    {"type": "control_character", "loc": [where, key],
                     "msg": "must not contain control characters (such as NUL, tab or line breaks)"}
                    for key, where in bad]}, status=422)
            return self._refuse(request)
        return self.get_response(request)

    @staticmethod
    def _drop_bad_cookies(request: HttpRequest) -> None:
        bad = [name for name, value in request.COOKIES.items()
               if _has(name, CONTROL_CHARACTERS) or _has(value, CONTROL_CHARACTERS)]
        if not bad:
            return
        for name in bad:
            del request.COOKIES[name]
        if settings.SESSION_COOKIE_NAME in bad and hasattr(request, "session"):
            # The session middleware already made a (lazy, not yet loaded) store for the forged id.
            engine = import_module(settings.SESSION_ENGINE)
            request.session = engine.SessionStore(None)

    @staticmethod
    def _refuse(request: HttpRequest) -> HttpResponse:
        from celltrial.web.views import bad_request

        return bad_request(request)
