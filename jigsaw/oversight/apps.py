from django.apps import AppConfig


class OversightConfig(AppConfig):
    name = "jigsaw.oversight"
    label = "oversight"
    verbose_name = "Oversight"
