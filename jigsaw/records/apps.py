from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "jigsaw.records"
    label = "records"
    verbose_name = "Agency records"
