from django.urls import path

from celltrial.labs import views

urlpatterns = [
    path("", views.index, name="labs"),
    path("participants/<int:participant_id>/", views.participant_labs, name="labs_participant"),
    path("participants/<int:participant_id>/enter/<str:visit>/", views.enter, name="labs_enter"),
    path("participants/<int:participant_id>/vitals/", views.vitals, name="labs_vitals"),
    path("results/<int:result_id>/correct/", views.correct, name="labs_correct"),
    path("vitals/<int:vitals_id>/correct/", views.vitals_correct, name="labs_vitals_correct"),
    path("ranges/", views.ranges, name="labs_ranges"),
    path("ranges/<int:set_id>/", views.range_set, name="labs_range_set"),
]
