from django.urls import path

from celltrial.escalation import views

urlpatterns = [
    path("", views.board, name="escalation"),
    path("recommendation/", views.recommendation, name="escalation_recommendation"),
    path("packets/freeze/", views.freeze, name="escalation_freeze"),
    path("packets/<int:pk>/", views.packet, name="escalation_packet"),
    path("packets/<int:pk>/packet.pdf", views.packet_pdf, name="escalation_packet_pdf"),
    path("packets/<int:pk>/decide/", views.propose, name="escalation_propose"),
    path("decisions/<int:pk>/sign/", views.sign, name="escalation_sign"),
    path("history/", views.history, name="escalation_history"),
    path("history.png", views.history_png, name="escalation_history_png"),
]
