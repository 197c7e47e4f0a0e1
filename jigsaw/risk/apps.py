from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "jigsaw.risk"
    label = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        # Registered after identity's hook (identity comes first in INSTALLED_APPS), so the
        # batch's records are already linked to persons when the children are evaluated.
        from jigsaw.records.hooks import register_after_ingest
        from jigsaw.risk.services import evaluate_after_ingest

        register_after_ingest(evaluate_after_ingest, deferrable=True)
