"""Idle session timeout: a session unused for longer than the limit is logged out (and audited).

The last activity is written to the session when it has moved on by a tenth of the limit (at most a
minute), not on every request: a write on every request was a database write per page, icon and poll,
and every answer re-sent the session cookie, so a late answer for a page the previous person opened
could put their session back after a switch of user. The timeout is at most that step early, never late.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

LAST_SEEN = "celltrial_last_seen"


class IdleTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            last = request.session.get(LAST_SEEN)
            if last is not None and now - float(last) > settings.CELLTRIAL_IDLE_TIMEOUT_SECONDS:
                from celltrial.accounts.services import register_logout

                register_logout(user, idle=True)
                logout(request)
                query = urlencode({"timeout": "1", "next": request.get_full_path()})
                return redirect(f"{reverse('login')}?{query}")
            step = min(60.0, settings.CELLTRIAL_IDLE_TIMEOUT_SECONDS / 10)
            if last is None or now - float(last) >= step:
                request.session[LAST_SEEN] = now
        return self.get_response(request)
