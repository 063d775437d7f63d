"""The shell's own pages: home, login and logout, and the styled error pages."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from celltrial.web.forms import LoginForm
from celltrial.web.home import role_panels


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["timed_out"] = self.request.GET.get("timeout") == "1"
        return ctx


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    from celltrial.accounts.services import register_logout

    if request.user.is_authenticated:
        register_logout(request.user)
    auth_logout(request)
    return redirect("login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from celltrial.study.interface import version_in_force

    return render(request, "web/home.html", {"protocol": version_in_force(), "role_panels": role_panels(request.user)})


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": 403}, status=403)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A form sent without its security token (an old tab, cookies blocked): the styled 403, with a hint."""
    return render(request, "web/error.html", {"status": 403, "csrf": True}, status=403)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": 404}, status=404)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/error.html", {"status": 400}, status=400)


def server_error(request: HttpRequest) -> HttpResponse:
    # No request context, so no context processor runs: the failure may be the database itself.
    from django.template import loader

    return HttpResponse(loader.get_template("web/error_500.html").render({}), status=500)
