from __future__ import annotations

from typing import Any, ClassVar

from django.db import models


class AppendOnlyError(Exception):
    """Raised when code tries to change or remove a stored record."""


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs: Any) -> int:
        raise AppendOnlyError(
            f"{self.model.__name__} rows are append-only: supersede, never update"
        )

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{self.model.__name__} rows are append-only: nothing is deleted")

    def bulk_update(self, *args: Any, **kwargs: Any) -> int:
        raise AppendOnlyError(
            f"{self.model.__name__} rows are append-only: supersede, never update"
        )


class AppendOnlyModel(models.Model):
    """A row that is written once. Corrections are new rows that supersede it."""

    objects: ClassVar[AppendOnlyQuerySet] = AppendOnlyQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError(
                f"{type(self).__name__} rows are append-only: supersede, never update"
            )
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are append-only: nothing is deleted")


# --- the database's own guard ----------------------------------------------------------------
# Model methods stop Jigsaw's code; triggers stop everything else that connects (a shell, a
# script, a future bug). They are (re)installed after every migrate for every append-only model,
# so a new model is covered without anyone remembering, and SQLite's table rebuilds (which drop
# triggers) cannot leave a table unguarded.

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION jigsaw_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'integrity_constraint_violation';
END;
$$ LANGUAGE plpgsql
"""


def append_only_models() -> list[type[models.Model]]:
    from django.apps import apps

    return [m for m in apps.get_models() if issubclass(m, AppendOnlyModel) and not m._meta.proxy]


def install_guards(*, using: str = "default", **_: Any) -> list[str]:
    """Create the refuse-UPDATE/DELETE triggers on every append-only table. Idempotent."""
    from django.db import connections

    connection = connections[using]
    tables = [m._meta.db_table for m in append_only_models()]
    existing = set(connection.introspection.table_names())
    done = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_PG_FUNCTION)
        for table in tables:
            if table not in existing:
                continue
            quoted = connection.ops.quote_name(table)
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON "
                    f"{quoted} FOR EACH ROW EXECUTE FUNCTION jigsaw_append_only()"
                )
                # TRUNCATE fires no row triggers (and `manage.py flush` uses it).
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON "
                    f"{quoted} FOR EACH STATEMENT EXECUTE FUNCTION jigsaw_append_only()"
                )
            elif connection.vendor == "sqlite":
                for op in ("UPDATE", "DELETE"):
                    cursor.execute(
                        f"CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON "
                        f"{quoted} BEGIN SELECT RAISE(ABORT, 'append-only: {op} on {table} "
                        "refused'); END"
                    )
            else:  # pragma: no cover - only the two supported databases
                raise RuntimeError(f"no append-only guard for {connection.vendor}")
            done.append(table)
    return done
