"""Navigation shown in every page, assembled from what the rooms declare: only the entries the user's roles allow."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from celltrial.accounts import permissions
from celltrial.accounts.roles import ROLE_LABELS, Role
from celltrial.core.rooms import NavEntry, declared


@cache
def entries() -> tuple[NavEntry, ...]:
    """Every room's navigation entries, in their declared order."""
    found = [entry for _room, room_entries in declared("navigation") for entry in room_entries]
    return tuple(sorted(found, key=lambda e: e.order))


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    current = request.resolver_match.url_name if request.resolver_match is not None else None
    nav = [{"name": "home", "label": _("Home"), "url": reverse("home"), "active": current == "home"}]
    nav += [
        {"name": e.url_name, "label": e.label, "url": reverse(e.url_name), "active": current == e.url_name}
        for e in entries()
        if e.menu and (e.permission is None or permissions.has_perm(user, e.permission))
    ]
    member_roles = [
        {"site": m.site.code if m.site else _("all sites"), "role": ROLE_LABELS[Role(m.role)]}
        for m in permissions.memberships(user)
    ]
    return {"nav": nav, "member_roles": member_roles}
