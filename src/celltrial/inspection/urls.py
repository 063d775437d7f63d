from django.urls import path

from celltrial.inspection import views

urlpatterns = [
    path("audit/", views.audit, name="audit"),
]
