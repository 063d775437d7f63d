"""Authentication with account lockout after repeated failed passwords.

Every attempt leaves an entry: a wrong password (counted toward the lock), a password tried on a
locked account, a name no account has. A locked or inactive account authenticates no session:
``get_user`` refuses it, so its open sessions end at their next request.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from celltrial.accounts.models import User


class LockoutBackend(ModelBackend):
    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        from celltrial.accounts.services import (
            register_failed_password,
            register_locked_attempt,
            register_successful_login,
            register_unknown_login,
        )

        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle on usernames
            register_unknown_login(username)
            return None
        if user.is_locked():
            user.check_password(password)
            register_locked_attempt(user)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            register_successful_login(user)
            return user
        register_failed_password(user)
        return None

    def get_user(self, user_id: Any) -> Any:
        user = super().get_user(user_id)
        if user is not None and user.is_locked():
            return None
        return user
