from django.urls import path

from celltrial.capture import views

urlpatterns = [
    path("", views.index, name="capture"),
    path("p/<int:pk>/", views.participant, name="capture_participant"),
    path("p/<int:pk>/<str:visit>/<str:form>/<int:repeat>/", views.form_page, name="capture_form"),
    path("p/<int:pk>/<str:visit>/<str:form>/<int:repeat>/evaluate/", views.evaluate, name="capture_evaluate"),
    path("p/<int:pk>/<str:visit>/<str:form>/<int:repeat>/files/<str:field>/", views.stored_file, name="capture_file"),
    path("p/<int:pk>/<str:visit>/<str:form>/guardian-link/", views.guardian_link, name="capture_guardian_link"),
    # The guardian's pages are public: the one-time link is the permission. They are left unnamed so the
    # role matrix (which sends anonymous users to login) does not list them; tests/capture/test_guardian.py
    # walks them instead. Build their address with views.guardian_path().
    path("q/<str:token>/", views.guardian_fill),
    path("q/<str:token>/evaluate/", views.guardian_evaluate),
]
