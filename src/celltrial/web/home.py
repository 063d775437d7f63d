"""What each role sees first: its duties and the pages it works in (tiles declared by the rooms)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from celltrial.accounts import permissions
from celltrial.accounts.roles import ROLE_DUTIES, ROLE_LABELS, Role, roles_with
from celltrial.web.context import entries


def role_panels(user: Any) -> list[dict[str, Any]]:
    panels = []
    for role in sorted(permissions.roles(user), key=lambda r: list(Role).index(r)):
        tiles = [
            e for e in entries()
            if e.tile and e.text and (e.permission is None or role in roles_with(e.permission))
        ]
        # A role's favourite tiles come first, in declared order; then the rest.
        tiles.sort(key=lambda e: (role.value not in e.favourite_of, e.order))
        panels.append({
            "code": role.value, "label": ROLE_LABELS[role], "duties": ROLE_DUTIES[role],
            "tiles": [{"title": e.label, "text": e.text, "url": reverse(e.url_name) + e.anchor, "key": e.key}
                      for e in tiles],
        })
    return panels
