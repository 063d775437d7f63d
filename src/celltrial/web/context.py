"""Navigation shown in every page: only the entries the user's roles allow."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from celltrial.accounts import permissions
from celltrial.accounts.roles import AUDIT_VIEW, PROTOCOL_VIEW, ROLE_LABELS, SITE_VIEW, Role

NAV = [
    ("home", _("Home"), None),
    ("protocol", _("Protocol"), PROTOCOL_VIEW),
    ("sites", _("Sites"), SITE_VIEW),
    ("audit", _("Audit trail"), AUDIT_VIEW),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav": []}
    entries = [
        {"name": name, "label": label, "url": reverse(name), "active": request.resolver_match is not None
         and request.resolver_match.url_name == name}
        for name, label, perm in NAV
        if perm is None or permissions.has_perm(user, perm)
    ]
    member_roles = [
        {"site": m.site.code, "role": ROLE_LABELS[Role(m.role)]} for m in permissions.memberships(user)
    ]
    return {"nav": entries, "member_roles": member_roles}
