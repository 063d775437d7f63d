from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "celltrial.api"
    label = "api"
    verbose_name = "API"
