"""Account services: users and memberships, failed logins and lockout, API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from celltrial.accounts.models import ApiToken, Membership, User
from celltrial.accounts.roles import Role
from celltrial.audit.models import Action
from celltrial.audit.services import Actor, ValidationFailed, record_event


def create_user(
    actor: Actor,
    *,
    username: str,
    password: str,
    full_name: str = "",
    email: str = "",
    memberships: Sequence[tuple[Any, str, bool]] = (),
    is_staff: bool = False,
    validate_password: bool = False,
) -> User:
    """Create a user with (site, role, can_view_pii) memberships; audited.

    ``validate_password`` applies the password rules (length, common passwords) with their messages;
    the demo and test fixtures skip it.
    """
    errors: dict[str, list[str]] = {}
    if not username.strip():
        errors["username"] = [_("A username is required.")]
    elif User.objects.filter(username=username).exists():
        errors["username"] = [_("A user named %(name)s already exists.") % {"name": username}]
    for _site, role, _pii in memberships:
        if role not in Role._value2member_map_:
            errors.setdefault("role", []).append(_("Unknown role %(role)s.") % {"role": role})
    if validate_password:
        try:
            password_validation.validate_password(password, User(username=username))
        except DjangoValidationError as exc:
            errors["password"] = list(exc.messages)
    if errors:
        raise ValidationFailed(errors)
    first, _sep, last = full_name.partition(" ")
    with transaction.atomic():
        user = User.objects.create_user(
            username=username, password=password, email=email, first_name=first, last_name=last, is_staff=is_staff
        )
        for site, role, pii in memberships:
            Membership.objects.create(user=user, site=site, role=role, can_view_pii=pii)
        record_event(
            actor,
            Action.CREATE,
            object_type="accounts.user",
            object_id=str(user.pk),
            object_repr=username,
            changes={
                "username": [None, username],
                "memberships": [None, [f"{role}@{site.code}{' +PII' if pii else ''}" for site, role, pii in memberships]],
            },
        )
    return user


def grant(actor: Actor, user: User, site: Any, role: str, *, can_view_pii: bool = False) -> Membership:
    """Give ``user`` a role at ``site`` (or change its PII grant); audited."""
    if role not in Role._value2member_map_:
        raise ValidationFailed({"role": [_("Unknown role %(role)s.") % {"role": role}]})
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, site=site, role=role, defaults={"can_view_pii": can_view_pii})
        before = None if created else {"active": membership.active, "can_view_pii": membership.can_view_pii}
        membership.active, membership.can_view_pii = True, can_view_pii
        membership.save(update_fields=["active", "can_view_pii"])
        record_event(actor, Action.CREATE if created else Action.UPDATE, object_type="accounts.membership",
                     object_id=str(membership.pk), object_repr=str(membership),
                     changes={"membership": [before, {"role": role, "site": site.code, "can_view_pii": can_view_pii}]},
                     site_code=site.code)
    return membership


def register_failed_password(user: User, *, context: str = "login") -> None:
    """Count a failed password; lock the account at the threshold (audited either way)."""
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.failed_login_count += 1
        changes: dict[str, Any] = {"failed_login_count": [locked.failed_login_count - 1, locked.failed_login_count]}
        action = Action.LOGIN_FAILED
        if locked.failed_login_count >= settings.CELLTRIAL_LOCKOUT_THRESHOLD:
            locked.locked_until = timezone.now() + timedelta(minutes=settings.CELLTRIAL_LOCKOUT_MINUTES)
            changes["locked_until"] = [None, locked.locked_until]
            action = Action.LOCKOUT
        locked.save(update_fields=["failed_login_count", "locked_until"])
        user.failed_login_count, user.locked_until = locked.failed_login_count, locked.locked_until
        record_event(
            Actor(user=user), action, object_type="accounts.user", object_id=str(user.pk),
            object_repr=user.username, changes=changes, reason=context,
        )


def register_successful_login(user: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        record_event(Actor(user=user), Action.LOGIN, object_type="accounts.user", object_id=str(user.pk),
                     object_repr=user.username)


def unlock(actor: Actor, user: User) -> None:
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(failed_login_count=0, locked_until=None)
        record_event(actor, Action.UPDATE, object_type="accounts.user", object_id=str(user.pk),
                     object_repr=user.username, changes={"locked_until": [user.locked_until, None]},
                     reason="unlocked by administrator")


def issue_token(actor: Actor, user: User, name: str, days: int | None = 90) -> str:
    """Create an API token; returns the secret once (only its hash is stored)."""
    token = "ct_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        ApiToken.objects.create(
            user=user, name=name, token_hash=ApiToken.digest(token), prefix=token[:8],
            expires_at=timezone.now() + timedelta(days=days) if days else None,
        )
        record_event(actor, Action.CREATE, object_type="accounts.apitoken", object_id=token[:8],
                     object_repr=f"API token {name} for {user.username}")
    return token


def user_for_token(token: str) -> User | None:
    found = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.digest(token)).first()
    if found is None or not found.is_usable() or not found.user.is_active:
        return None
    ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.user
