from django.urls import path

from celltrial.participants import views

urlpatterns = [
    path("", views.participant_list, name="participant_list"),
    path("prescreening/", views.prescreening_log, name="prescreening_log"),
    path("prescreening/add/", views.prescreening_add, name="prescreening_add"),
    path("screen/", views.participant_screen, name="participant_screen"),
    path("visits-due/", views.visits_due, name="visits_due"),
    path("funnel/", views.funnel, name="funnel"),
    path("funnel/figure.<str:fmt>", views.funnel_figure, name="funnel_figure"),
    path("consent-documents/", views.consent_documents, name="consent_documents"),
    path("consent-documents/add/", views.consent_document_add, name="consent_document_add"),
    path("consent-documents/<int:pk>/file/", views.consent_document_file, name="consent_document_file"),
    path("consents/<int:pk>/sign/", views.consent_sign, name="consent_sign"),
    path("consents/<int:pk>/scan/", views.consent_scan, name="consent_scan"),
    path("consents/<int:pk>/scan/upload/", views.consent_scan_upload, name="consent_scan_upload"),
    path("dissents/<int:pk>/resolve/", views.dissent_resolve, name="dissent_resolve"),
    path("visits/<int:pk>/", views.visit_record, name="visit_record"),
    path("<int:pk>/", views.participant_detail, name="participant_detail"),
    path("<int:pk>/identity/", views.participant_identity, name="participant_identity"),
    path("<int:pk>/screening/", views.participant_screening, name="participant_screening"),
    path("<int:pk>/screening/<slug:form>/", views.participant_form_save, name="participant_form_save"),
    path("<int:pk>/eligibility/sign/", views.eligibility_sign, name="eligibility_sign"),
    path("<int:pk>/consent/", views.consent_record, name="consent_record"),
    path("<int:pk>/dissent/", views.dissent_record, name="dissent_record"),
    path("<int:pk>/withdraw/", views.participant_withdraw, name="participant_withdraw"),
    path("<int:pk>/enrol/", views.participant_enrol, name="participant_enrol"),
    path("<int:pk>/dosing-day/", views.participant_dosing_day, name="participant_dosing_day"),
    path("<int:pk>/dosed/", views.participant_dosed, name="participant_dosed"),
    path("<int:pk>/rescreen/", views.participant_rescreen, name="participant_rescreen"),
]
