"""Account services: people, memberships and PII grants, logins and lockout, API tokens.

Every change of who may do what is one audit entry in the same transaction, and the password hash
never enters the trail (only the fact that it changed). A locked or deactivated account loses its
sessions (checked on every request) and its API tokens at once.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts import permissions
from celltrial.accounts.models import ApiToken, Membership, User
from celltrial.accounts.roles import USER_MANAGE, Role
from celltrial.audit.models import Action
from celltrial.audit.operations import clean_reason, insert, touch, tracked
from celltrial.audit.trail import record_event
from celltrial.core.actor import Actor
from celltrial.core.errors import ValidationFailed

UNKNOWN_LOGIN_STREAM = "accounts.login:unknown-username"


def _may_manage(actor: Actor) -> None:
    """The platform itself (a command run by the operator) or an administrator with a trial-wide grant."""
    if actor.user is not None and not permissions.has_perm(actor.user, USER_MANAGE, ""):
        raise PermissionDenied(USER_MANAGE)


def _check_role(role: str) -> None:
    if role not in Role._value2member_map_:
        raise ValidationFailed({"role": [_("Unknown role %(role)s.") % {"role": role}]})


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
    """Create a user with (site or None for trial-wide, role, can_view_pii) memberships; each audited.

    ``validate_password`` applies the password rules (length, common passwords) with their messages;
    the demo and test fixtures skip it.
    """
    _may_manage(actor)
    errors: dict[str, list[str]] = {}
    if not username.strip():
        errors["username"] = [_("A username is required.")]
    elif len(username) > 150 or "\x00" in username:
        errors["username"] = [_("A username has at most 150 characters.")]
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
        user = User(username=username, email=User.objects.normalize_email(email), first_name=first,
                    last_name=last, is_staff=is_staff)
        user.set_password(password)
        insert(actor, user)
        for site, role, pii in memberships:
            grant(actor, user, site, role, can_view_pii=pii)
    return user


def grant(actor: Actor, user: User, site: Any | None, role: str, *, can_view_pii: bool = False) -> Membership:
    """Give ``user`` a role at ``site`` (every site when None), or change its PII grant; audited."""
    _may_manage(actor)
    _check_role(role)
    with transaction.atomic():
        membership = Membership.objects.filter(user=user, site=site, role=role).first()
        if membership is None:
            membership = insert(actor, Membership(user=user, site=site, role=role, can_view_pii=can_view_pii))
        else:
            with tracked(actor, membership, reason=gettext_noop("role granted again")) as m:
                m.active, m.can_view_pii, m.ended_at = True, can_view_pii, None
    permissions.forget(user)
    return membership


def end_membership(actor: Actor, user: User, site: Any | None, role: str, *, reason: str) -> Membership:
    """End one role of a user at a site (the row stays, inactive, with the date it ended); audited."""
    _may_manage(actor)
    reason = clean_reason(reason, required=True)
    membership = Membership.objects.filter(user=user, site=site, role=role, active=True).first()
    if membership is None:
        raise ValidationFailed({"role": [_("%(user)s holds no active %(role)s role there.") % {
            "user": user.username, "role": role}]})
    with tracked(actor, membership, reason=reason) as m:
        m.active, m.ended_at = False, timezone.now()
    permissions.forget(user)
    return membership


def deactivate_user(actor: Actor, user: User, *, reason: str) -> None:
    """Deactivate an account: it can no longer log in, its sessions end at their next request and
    its API tokens are revoked; audited. Accounts are never deleted (the trail refers to them)."""
    _may_manage(actor)
    reason = clean_reason(reason, required=True)
    with transaction.atomic():
        with tracked(actor, user, reason=reason) as u:
            u.is_active = False
        revoke_tokens(actor, user, reason=gettext_noop("account deactivated"))


def set_staff_flags(actor: Actor, user: User, *, is_staff: bool, is_superuser: bool, reason: str) -> None:
    _may_manage(actor)
    with tracked(actor, user, reason=clean_reason(reason, required=True)) as u:
        u.is_staff, u.is_superuser = is_staff, is_superuser


def set_password(actor: Actor, user: User, password: str, *, validate: bool = True) -> None:
    """Change a password; the entry records that it changed, never the hash."""
    if actor.user is not None and actor.user.pk != user.pk:
        _may_manage(actor)
    if validate:
        try:
            password_validation.validate_password(password, user)
        except DjangoValidationError as exc:
            raise ValidationFailed({"password": list(exc.messages)}) from exc
    with tracked(actor, user, reason=gettext_noop("password changed")) as u:
        u.set_password(password)


def register_failed_password(user: User, *, context: str = "login") -> None:
    """Count a failed password; lock the account at the threshold (audited either way)."""
    locking = user.failed_login_count + 1 >= settings.CELLTRIAL_LOCKOUT_THRESHOLD
    with tracked(Actor(user=user), user, Action.LOCKOUT if locking else Action.LOGIN_FAILED, reason=context) as u:
        u.failed_login_count += 1
        if u.failed_login_count >= settings.CELLTRIAL_LOCKOUT_THRESHOLD:
            u.locked_until = timezone.now() + timedelta(minutes=settings.CELLTRIAL_LOCKOUT_MINUTES)
    if user.is_locked():
        revoke_tokens(Actor.system("account lockout"), user, reason=gettext_noop("account locked"))


def register_locked_attempt(user: User) -> None:
    """A password tried on a locked account: an entry, no count (the lock already holds)."""
    record_event(Actor(user=user), Action.LOGIN_FAILED, object_type="accounts.user", object_id=str(user.pk),
                 object_repr=user.username, stream=f"accounts.user:{user.pk}", reason=gettext_noop("account locked"))


def register_unknown_login(username: str) -> None:
    """A login attempt for a name no account has (the name is kept, truncated, for the inspector)."""
    shown = username.replace("\x00", "")[:150]
    record_event(Actor.system("login"), Action.LOGIN_FAILED, object_type="accounts.login", object_id="",
                 object_repr=shown, stream=UNKNOWN_LOGIN_STREAM, reason=gettext_noop("unknown username"))


def register_successful_login(user: User) -> None:
    with tracked(Actor(user=user), user, Action.LOGIN) as u:
        u.failed_login_count, u.locked_until = 0, None
        u.last_login = timezone.now()


def register_logout(user: User, *, idle: bool = False) -> None:
    record_event(Actor(user=user), Action.LOGOUT, object_type="accounts.user", object_id=str(user.pk),
                 object_repr=user.username, stream=f"accounts.user:{user.pk}",
                 reason=gettext_noop("idle timeout") if idle else "")


def unlock(actor: Actor, user: User) -> None:
    _may_manage(actor)
    with tracked(actor, user, reason=gettext_noop("unlocked by administrator")) as u:
        u.failed_login_count, u.locked_until = 0, None


def issue_token(actor: Actor, user: User, name: str, days: int | None = 90) -> str:
    """Create an API token; returns the secret once (only its hash is stored)."""
    if actor.user is not None and actor.user.pk != user.pk:
        _may_manage(actor)
    if not user.is_active or user.is_locked():
        raise ValidationFailed({"user": [_("A locked or inactive account cannot be given a token.")]})
    if not name.strip() or len(name) > 100:
        raise ValidationFailed({"name": [_("A token name has 1 to 100 characters.")]})
    if days is not None and not 1 <= days <= 366:
        raise ValidationFailed({"days": [_("A token is valid for 1 to 366 days.")]})
    token = "ct_" + secrets.token_urlsafe(32)
    insert(actor, ApiToken(user=user, name=name, token_hash=ApiToken.digest(token), prefix=token[:8],
                           expires_at=timezone.now() + timedelta(days=days) if days else None))
    return token


def revoke_token(actor: Actor, token: ApiToken, *, reason: str) -> None:
    if actor.user is not None and actor.user.pk != token.user_id:
        _may_manage(actor)
    if token.revoked_at is not None:
        return
    with tracked(actor, token, reason=clean_reason(reason, required=True)) as t:
        t.revoked_at, t.revoke_reason = timezone.now(), reason[:200]


def revoke_tokens(actor: Actor, user: User, *, reason: str) -> int:
    tokens = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True))
    for token in tokens:
        revoke_token(Actor.system("access change") if actor.user is None else actor, token, reason=reason)
    return len(tokens)


TOKEN_USE_PRECISION = timedelta(minutes=1)


def user_for_token(token: str) -> User | None:
    """The user of a usable token of an active, unlocked account; None otherwise."""
    if not token.startswith("ct_") or len(token) > 100:
        return None
    found = ApiToken.objects.select_related("user").filter(token_hash=ApiToken.digest(token)).first()
    if found is None or not found.is_usable() or not found.user.is_active or found.user.is_locked():
        return None
    # last_used_at is bookkeeping (excluded from the audited values), not an access change; to the minute,
    # so a device saving many forms does not write the token row on every request.
    now = timezone.now()
    if found.last_used_at is None or now - found.last_used_at >= TOKEN_USE_PRECISION:
        touch(found, last_used_at=now)
    return found.user
