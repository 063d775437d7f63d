"""API authentication: bearer tokens (``Authorization: Bearer ct_...``)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from celltrial.accounts.services import user_for_token

        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user
