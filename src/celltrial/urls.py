"""URL configuration: web pages, language switch and the REST API."""

from django.urls import include, path

from celltrial.api.router import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("celltrial.web.urls")),
]

handler403 = "celltrial.web.views.forbidden"
