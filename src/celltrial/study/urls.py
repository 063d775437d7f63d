from django.urls import path

from celltrial.study import views

urlpatterns = [
    path("protocol/", views.protocol, name="protocol"),
    path("protocol/v<int:number>/", views.protocol, name="protocol_version"),
    path("sites/", views.sites, name="sites"),
    path("sites/<str:code>/", views.site_detail, name="site_detail"),
    path("sites/<str:code>/sign/", views.site_sign, name="site_sign"),
    path("sites/<str:code>/edit/", views.site_edit, name="site_edit"),
]
