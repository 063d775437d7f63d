from django.urls import path

from celltrial.capture.quality import views

urlpatterns = [
    path("", views.queries, name="quality_queries"),
    path("queries/raise/", views.query_raise, name="quality_query_raise"),
    path("queries/<int:pk>/", views.query_detail, name="quality_query"),
    path("queries/<int:pk>/answer/", views.query_answer, name="quality_query_answer"),
    path("queries/<int:pk>/close/", views.query_close, name="quality_query_close"),
    path("queries/<int:pk>/reopen/", views.query_reopen, name="quality_query_reopen"),
    path("participants/<int:pk>/", views.participant, name="quality_participant"),
    path("participants/<int:pk>/sdv/", views.sdv_mark, name="quality_sdv"),
    path("participants/<int:pk>/casebook/sign/", views.casebook_sign, name="quality_casebook_sign"),
    path("locks/", views.locks, name="quality_locks"),
    path("locks/place/", views.lock_place, name="quality_lock_place"),
    path("locks/<int:pk>/release/", views.lock_release, name="quality_lock_release"),
    path("missing/", views.missing, name="quality_missing"),
    path("checks/run/", views.checks_run, name="quality_checks_run"),
]
