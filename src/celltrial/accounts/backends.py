"""Authentication with account lockout after repeated failed passwords."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend

from celltrial.accounts.models import User


class LockoutBackend(ModelBackend):
    """Refuses a locked account even with the right password; counts failures toward the lock."""

    def authenticate(self, request: Any, username: str | None = None, password: str | None = None, **kwargs: Any) -> Any:
        from celltrial.accounts.services import register_failed_password, register_successful_login

        if username is None or password is None:
            return None
        user = User.objects.filter(username=username).first()
        if user is None:
            User().set_password(password)  # same work as a real check: no timing oracle on usernames
            return None
        if user.is_locked():
            if request is not None:
                request.celltrial_locked = True
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            register_successful_login(user)
            return user
        register_failed_password(user)
        if request is not None and user.is_locked():
            request.celltrial_locked = True
        return None
