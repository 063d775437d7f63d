from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "celltrial.web"
    label = "web"
    verbose_name = "Web"
