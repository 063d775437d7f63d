"""The platform's URLs plus one page that fails, to see the 500 page a reader gets."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from celltrial.urls import handler400, handler403, handler404, handler500, urlpatterns


def fails(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("this page fails on purpose")


urlpatterns = [path("fails/", fails), *urlpatterns]
__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
