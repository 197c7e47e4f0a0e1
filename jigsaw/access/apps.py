from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "jigsaw.access"
    label = "access"
    verbose_name = "Access"

    def ready(self) -> None:
        from jigsaw.access.hooks import audit_bulk_load, audit_ingest
        from jigsaw.records.hooks import register_after_bulk_load, register_after_ingest

        # Last: the entry names the persons the records are linked to, so after linking.
        register_after_ingest(audit_ingest, last=True)
        register_after_bulk_load(audit_bulk_load)
