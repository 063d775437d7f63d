"""Deny-by-default permission checks and the one helper that scopes querysets by site.

A user's access is the union of their active memberships: each grants its role's permissions at
one site, or at every site when it is trial-wide. A record whose site is blank (trial-wide: the
protocol, users) is visible only to holders of a trial-wide grant — never to everyone.
Views, API handlers and services all ask through these functions.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet

from celltrial.accounts.roles import PII_VIEW, Role, roles_with
from celltrial.core.actor import Actor
from celltrial.core.models import TRIAL_WIDE

ALL_SITES = "*"


def memberships(user: Any) -> list[Any]:
    """Active memberships of an active, unlocked user (cached on the user object for one request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active or user.is_locked():
        return []
    cache = getattr(user, "_celltrial_memberships", None)
    if cache is None:
        cache = [m for m in user.memberships.filter(active=True).select_related("site")
                 if m.site is None or m.site.active]
        user._celltrial_memberships = cache
    return cache


def forget(user: Any) -> None:
    """Drop the per-request cache after the user's memberships changed."""
    if hasattr(user, "_celltrial_memberships"):
        del user._celltrial_memberships


def roles(user: Any) -> set[Role]:
    return {Role(m.role) for m in memberships(user)}


def _grants(user: Any, permission: str) -> list[Any]:
    if permission == PII_VIEW:
        return [m for m in memberships(user) if m.can_view_pii]
    allowed = roles_with(permission)
    return [m for m in memberships(user) if Role(m.role) in allowed]


def site_codes_with(user: Any, permission: str) -> set[str]:
    """The sites at which ``user`` holds ``permission``; ``{"*"}`` among them for a trial-wide grant."""
    return {m.site.code if m.site is not None else ALL_SITES for m in _grants(user, permission)}


def trial_wide(user: Any, permission: str) -> bool:
    return ALL_SITES in site_codes_with(user, permission)


def has_perm(user: Any, permission: str, site_code: str | None = None) -> bool:
    """Whether ``user`` holds ``permission`` (at ``site_code``; at any site when None).

    ``site_code=""`` asks about a trial-wide record: only a trial-wide grant holds it.
    """
    sites = site_codes_with(user, permission)
    if site_code is None:
        return bool(sites)
    return ALL_SITES in sites or (site_code != "" and site_code in sites)


def require(user: Any, permission: str, site_code: str | None = None) -> None:
    if not has_perm(user, permission, site_code):
        raise PermissionDenied(permission)


def scope(queryset: QuerySet[Any], user: Any, permission: str, site_field: str | None = None) -> QuerySet[Any]:
    """Only the rows of the sites where ``user`` holds ``permission``; none when they hold it nowhere.

    ``site_field`` defaults to the model's declared ``site_path``. Rows with a blank or missing site
    are trial-wide: only a trial-wide grant sees them.
    """
    path = site_field or getattr(queryset.model, "site_path", None)
    if path is None:
        raise TypeError(f"{queryset.model.__name__} declares no site: pass site_field")
    sites = site_codes_with(user, permission)
    if not sites:
        return queryset.none()
    if ALL_SITES in sites:
        return queryset
    if path == TRIAL_WIDE:
        return queryset.none()
    return queryset.filter(Q(**{f"{path}__in": sites}))


def actor_for(user: Any, permission: str, site_code: str | None = None) -> Actor:
    """The audit actor for ``user`` exercising ``permission`` (at ``site_code`` if given).

    A site grant is preferred to a trial-wide one at its own site; the actor's site is the site
    acted at (blank for a trial-wide act on a trial-wide record).
    """
    grants = sorted(_grants(user, permission),
                    key=lambda m: (m.site is None, m.site.code if m.site else "", m.role))
    for m in grants:
        here = m.site.code if m.site is not None else ""
        if site_code is None:
            return Actor(user=user, role=m.role, site_code=here)
        if site_code == "" and m.site is None:
            return Actor(user=user, role=m.role, site_code="")
        if site_code and (m.site is None or here == site_code):
            return Actor(user=user, role=m.role, site_code=site_code)
    raise PermissionDenied(permission)


def actor_may(actor: Actor, permission: str, site_code: str | None) -> bool:
    """The access hook the audit room's operations ask: the person holds the permission, in the
    role the actor names, at the record's site (``None``/blank: a trial-wide record)."""
    if actor.user is None:
        return False
    allowed = roles_with(permission)
    if actor.role and Role(actor.role) not in allowed:
        return False
    return has_perm(actor.user, permission, site_code or "")


def primary_membership(user: Any) -> Any | None:
    """The membership a session acts under by default (trial-wide first, then by site and role)."""
    ms = sorted(memberships(user), key=lambda m: (m.site is not None, m.site.code if m.site else "", m.role))
    return ms[0] if ms else None
