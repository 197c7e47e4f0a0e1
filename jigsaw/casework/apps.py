from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "jigsaw.casework"
    label = "casework"
    verbose_name = "Casework"
