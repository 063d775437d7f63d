"""The login form. Its refusal never tells whether an account exists or is locked."""

from __future__ import annotations

from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _(
            "The username or password is not correct, or the account is locked. After 5 failed attempts an "
            "account is locked for 30 minutes; an administrator can unlock it."),
    }
