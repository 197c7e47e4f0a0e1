from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "jigsaw.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        # Records knows nothing of identity: identity plugs itself into the ingest and the
        # chronology through records' explicit hook registry.
        from jigsaw.identity.selectors import related_records
        from jigsaw.identity.services import records_link
        from jigsaw.records.hooks import register_after_ingest, register_related_records
        from jigsaw.records.services import IngestReport

        def link_after_ingest(report: IngestReport) -> None:
            records_link(record_ids=report.touched_records)

        register_after_ingest(link_after_ingest, deferrable=True)
        register_related_records(related_records)
