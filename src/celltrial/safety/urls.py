from django.urls import path

from celltrial.safety import views

urlpatterns = [
    path("", views.dashboard, name="safety"),
    path("swimmer.png", views.swimmer, name="safety_swimmer"),
    path("participants/<int:participant_id>/", views.participant, name="safety_participant"),
    path("participants/<int:participant_id>/aes/new/", views.ae_new, name="safety_ae_new"),
    path("participants/<int:participant_id>/suggest/", views.suggest, name="safety_suggest"),
    path("participants/<int:participant_id>/dlt/decide/", views.dlt_decide, name="safety_dlt_decide"),
    path("participants/<int:participant_id>/dlt/confirm/", views.dlt_confirm, name="safety_dlt_confirm"),
    path("aes/<int:pk>/", views.ae_detail, name="safety_ae"),
    path("aes/<int:pk>/assess/", views.ae_assess, name="safety_ae_assess"),
    path("aes/<int:pk>/sponsor/", views.ae_sponsor, name="safety_ae_sponsor"),
    path("aes/<int:pk>/follow-up/", views.ae_follow_up, name="safety_ae_follow_up"),
    path("aes/<int:pk>/cioms-<str:language>.pdf", views.ae_cioms, name="safety_ae_cioms"),
    path("aes/<int:pk>/e2b.json", views.ae_e2b, name="safety_ae_e2b"),
    path("obligations/<int:pk>/submission/", views.submission, name="safety_submission"),
    path("notices/", views.notices, name="safety_notices"),
    path("other-risk/", views.other_risk, name="safety_other_risk"),
    path("rsi/", views.rsi, name="safety_rsi"),
]
