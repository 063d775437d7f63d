from django.apps import AppConfig


class StudyConfig(AppConfig):
    name = "celltrial.study"
    label = "study"
    verbose_name = "Study"
