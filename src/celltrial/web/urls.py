"""The web pages: the shell's own, then each room's, mounted from what the rooms declare."""

from django.urls import URLPattern, URLResolver, include, path

from celltrial.core.rooms import rooms
from celltrial.web import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", views.logout, name="logout"),
]
urlpatterns += [path(room.url_prefix, include(room.urls)) for room in rooms() if room.urls]
