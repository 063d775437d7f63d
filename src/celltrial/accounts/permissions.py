"""Deny-by-default permission checks and the one helper that scopes querysets by site.

A user's access is the union of their active memberships: each grants its role's permissions at
one site. Views, API handlers and services all ask through these functions.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from celltrial.accounts.roles import PII_VIEW, Role, roles_with


def memberships(user: Any) -> list[Any]:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cache = getattr(user, "_celltrial_memberships", None)
    if cache is None:
        cache = list(user.memberships.filter(active=True, site__active=True).select_related("site"))
        user._celltrial_memberships = cache
    return cache


def roles(user: Any) -> set[Role]:
    return {Role(m.role) for m in memberships(user)}


def site_codes_with(user: Any, permission: str) -> set[str]:
    """The sites at which ``user`` holds ``permission`` (PII access is its own grant)."""
    if permission == PII_VIEW:
        return {m.site.code for m in memberships(user) if m.can_view_pii}
    allowed = roles_with(permission)
    return {m.site.code for m in memberships(user) if Role(m.role) in allowed}


def has_perm(user: Any, permission: str, site_code: str | None = None) -> bool:
    sites = site_codes_with(user, permission)
    return bool(sites) if site_code is None else site_code in sites


def require(user: Any, permission: str, site_code: str | None = None) -> None:
    if not has_perm(user, permission, site_code):
        raise PermissionDenied(permission)


def scope(queryset: QuerySet[Any], user: Any, permission: str, site_field: str = "site__code") -> QuerySet[Any]:
    """Only the rows of the sites where ``user`` holds ``permission``; none when they hold it nowhere.

    Records with no site (trial-wide, e.g. audit entries of the protocol) are visible to whoever
    holds the permission at any site when ``site_field`` allows blanks.
    """
    sites = site_codes_with(user, permission)
    if not sites:
        return queryset.none()
    condition = Q(**{f"{site_field}__in": sites})
    field = queryset.model._meta.get_field(site_field.split("__")[0])
    if getattr(field, "blank", False) and "__" not in site_field:
        condition |= Q(**{site_field: ""})
    return queryset.filter(condition)


def primary_membership(user: Any) -> Any | None:
    """The membership a session acts under by default (first by site, then role)."""
    ms = sorted(memberships(user), key=lambda m: (m.site.code, m.role))
    return ms[0] if ms else None


def actor_for(user: Any, permission: str, site_code: str | None = None) -> Any:
    """The audit actor for ``user`` exercising ``permission`` (at ``site_code`` if given)."""
    from celltrial.audit.services import Actor

    allowed = roles_with(permission)
    for m in sorted(memberships(user), key=lambda m: (m.site.code, m.role)):
        if Role(m.role) in allowed and (site_code is None or m.site.code == site_code):
            return Actor(user=user, role=m.role, site_code=m.site.code if site_code else "")
    raise PermissionDenied(permission)
