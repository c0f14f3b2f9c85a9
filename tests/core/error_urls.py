"""The product's URLs plus views that fail on purpose, for the error page tests. The handlers
are the product's own (imported, so a missing one fails the import)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.urls import path

from heedful.config.urls import handler400, handler403, handler404, handler500, urlpatterns


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def suspicious(request: HttpRequest) -> HttpResponse:
    raise SuspiciousOperation("a forged header")


urlpatterns = [
    path("broken/", broken),
    path("forbidden/", forbidden),
    path("suspicious/", suspicious),
    path("portal/broken/", broken),
    path("api/broken/", broken),
    *urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
