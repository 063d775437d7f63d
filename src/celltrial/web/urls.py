from django.contrib.auth import views as auth_views
from django.urls import path

from celltrial.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("protocol/", views.protocol, name="protocol"),
    path("protocol/v<int:number>/", views.protocol, name="protocol_version"),
    path("sites/", views.sites, name="sites"),
    path("sites/<str:code>/", views.site_detail, name="site_detail"),
    path("sites/<str:code>/sign/", views.site_sign, name="site_sign"),
    path("sites/<str:code>/edit/", views.site_edit, name="site_edit"),
    path("audit/", views.audit, name="audit"),
]
