"""Signing agents in and out. Customers sign in on the portal, not here."""

from __future__ import annotations

import math

from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from heedful.core import throttle
from heedful.policy import Viewer


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL)


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    context: dict[str, object] = {"next": request.GET.get("next", ""), "email": "", "error": None}
    if request.method == "GET":
        if request.user.is_authenticated and Viewer.for_user(request.user).is_agent:
            return redirect(_safe_next(request))
        return render(request, "web/login.html", context)
    email = request.POST.get("email", "").strip()
    password = request.POST.get("password", "")
    context.update(email=email, next=request.POST.get("next", ""))
    address = throttle.client_ip(request.META)
    if throttle.is_locked_out(email, address):
        minutes = max(1, math.ceil(settings.LOGIN_LOCKOUT_SECONDS / 60))
        context["error"] = _("Too many attempts, try again in %(minutes)s minutes.") % {"minutes": minutes}
        return render(request, "web/login.html", context, status=429)
    user = authenticate(request, username=email.lower(), password=password) if email and password else None
    if user is None or not Viewer.for_user(user).is_agent:
        throttle.record_failure(email, address)
        context["error"] = _(
            "The e-mail or password is wrong, or this account is not an agent's. "
            "Customers sign in on the help portal."
        )
        return render(request, "web/login.html", context, status=400)
    throttle.clear_failures(email, address)
    login(request, user)
    return redirect(_safe_next(request))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect(settings.LOGOUT_REDIRECT_URL)
