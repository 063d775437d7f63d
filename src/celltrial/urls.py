"""URL configuration: language switch, the REST API and the web pages."""

from django.urls import include, path

from celltrial.api.router import api

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("", include("celltrial.web.urls")),
]

handler400 = "celltrial.web.views.bad_request"
handler403 = "celltrial.web.views.forbidden"
handler404 = "celltrial.web.views.not_found"
handler500 = "celltrial.web.views.server_error"
