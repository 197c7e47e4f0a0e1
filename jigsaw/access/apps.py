from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "jigsaw.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from jigsaw.access.hooks import audit_ingest
        from jigsaw.records.hooks import register_after_ingest

        register_after_ingest(audit_ingest)
