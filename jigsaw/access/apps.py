from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "jigsaw.access"
    label = "access"
    verbose_name = "Access"
