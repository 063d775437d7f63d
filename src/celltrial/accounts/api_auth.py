"""The bearer-token check every room's API router puts on its write routes.

A caller whose role lacks the permission is refused (403) before the body is read; the room's services
check again at the record's site.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer

from celltrial.accounts import permissions


class Requires(HttpBearer):
    """Bearer-token authentication that also requires one of ``permissions_any`` — at some site, or, with
    ``trial_wide``, through a trial-wide grant (for trial-wide records such as SRC packets)."""

    def __init__(self, *permissions_any: str, trial_wide: bool = False):
        super().__init__()
        if not permissions_any:
            raise ValueError("Requires needs at least one permission")
        self.permissions_any = permissions_any
        self.site_code = "" if trial_wide else None

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        from celltrial.accounts.services import user_for_token

        user = user_for_token(token)
        if user is None:
            return None
        if not any(permissions.has_perm(user, p, self.site_code) for p in self.permissions_any):
            raise PermissionDenied(self.permissions_any[0])
        request.user = user
        return user
