from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "jigsaw.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from jigsaw.core.append_only import install_guards

        post_migrate.connect(install_guards, dispatch_uid="jigsaw-append-only-guards")
