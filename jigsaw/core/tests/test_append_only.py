"""The append-only store: refused by the model layer, and by the database for everything else."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction

from jigsaw.core.append_only import AppendOnlyError, AppendOnlyModel, append_only_models
from jigsaw.core.tests.helpers import FrozenClock
from jigsaw.records.models import (
    Agency,
    AgencyVersion,
    Event,
    EventSubject,
    EventVersion,
    PersonRecord,
    PersonVersion,
    Submission,
)
from jigsaw.records.tests.factories import EventObj, base_objects, ingest, row_counts

STORE = [
    Agency,
    AgencyVersion,
    Event,
    EventSubject,
    EventVersion,
    PersonRecord,
    PersonVersion,
    Submission,
]


@pytest.fixture
def stored(clock: FrozenClock) -> None:
    """One of every kind of row."""
    report = ingest([*base_objects(), EventObj(event_id="E-1")])
    assert report.accepted, report.errors
    assert all(row_counts()[m._meta.label] >= 1 for m in STORE)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found.add(sub)
        found |= _subclasses(sub)
    return found


def test_every_store_model_is_append_only() -> None:
    records = set(apps.get_app_config("records").get_models())
    assert records == set(STORE)
    assert all(issubclass(model, AppendOnlyModel) for model in records)


def test_append_only_models_finds_every_concrete_subclass() -> None:
    concrete = {
        m for m in _subclasses(AppendOnlyModel) if not m._meta.abstract and not m._meta.proxy
    }
    assert set(append_only_models()) == concrete
    assert set(STORE) <= concrete


def _triggers(table: str) -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal",
                [table],
            )
        return {row[0] for row in cursor.fetchall()}


@pytest.mark.django_db
@pytest.mark.parametrize("model", append_only_models(), ids=lambda m: m._meta.label)
def test_every_append_only_table_has_the_database_guard(model: type[AppendOnlyModel]) -> None:
    table = model._meta.db_table
    if connection.vendor == "sqlite":
        expected = {f"{table}_no_update", f"{table}_no_delete"}
    else:
        expected = {f"{table}_append_only", f"{table}_no_truncate"}
    assert expected <= _triggers(table)


# --- the model layer ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("model", STORE, ids=lambda m: m.__name__)
def test_model_save_of_a_stored_row_is_refused(model: type[AppendOnlyModel]) -> None:
    row = model.objects.first()
    assert row is not None
    with pytest.raises(AppendOnlyError, match="append-only"):
        row.save()


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("model", STORE, ids=lambda m: m.__name__)
def test_model_delete_is_refused(model: type[AppendOnlyModel]) -> None:
    row = model.objects.first()
    assert row is not None
    with pytest.raises(AppendOnlyError, match="nothing is deleted"):
        row.delete()
    assert model.objects.filter(pk=row.pk).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("model", STORE, ids=lambda m: m.__name__)
def test_queryset_update_delete_and_bulk_update_are_refused(model: type[AppendOnlyModel]) -> None:
    before = model.objects.count()
    with pytest.raises(AppendOnlyError):
        model.objects.all().update(pk=1)
    with pytest.raises(AppendOnlyError):
        model.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        model.objects.bulk_update(list(model.objects.all()), ["pk"])
    assert model.objects.count() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
def test_related_managers_refuse_too() -> None:
    agency = Agency.objects.get(code="NMUH")
    with pytest.raises(AppendOnlyError):
        agency.versions.update(name="Renamed")
    with pytest.raises(AppendOnlyError):
        agency.person_records.all().delete()
    assert AgencyVersion.objects.get().name == "NMUH (test agency)"


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
def test_update_or_create_of_a_stored_row_is_refused() -> None:
    with pytest.raises(AppendOnlyError):
        AgencyVersion.objects.update_or_create(
            agency__code="NMUH", version=1, defaults={"name": "Renamed"}
        )


@pytest.mark.django_db
def test_new_rows_are_inserted(clock: FrozenClock) -> None:
    agency = Agency(code="NEW", received_at=clock.now())
    agency.save()
    assert Agency.objects.get(code="NEW").pk == agency.pk
    with pytest.raises(AppendOnlyError):
        agency.save()


# --- the database's own guard ---------------------------------------------------------------


def _refused(sql: str) -> None:
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
@pytest.mark.parametrize("model", STORE, ids=lambda m: m._meta.db_table)
def test_raw_sql_update_and_delete_are_refused_by_the_database(
    model: type[AppendOnlyModel],
) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    column = connection.ops.quote_name(model._meta.pk.column)
    before = model.objects.count()
    _refused(f"UPDATE {table} SET {column} = {column}")
    _refused(f"DELETE FROM {table}")
    assert model.objects.count() == before


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
def test_the_base_manager_bypasses_the_model_layer_but_not_the_database() -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AgencyVersion._base_manager.all().update(name="Renamed")
    assert AgencyVersion.objects.get().name == "NMUH (test agency)"


@pytest.mark.django_db
@pytest.mark.usefixtures("stored")
@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
@pytest.mark.parametrize("model", STORE, ids=lambda m: m._meta.db_table)
def test_truncate_is_refused_by_postgresql(model: type[AppendOnlyModel]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # The rows were written in this (test) transaction: settle their deferred FK checks,
        # which PostgreSQL would otherwise give as its reason to refuse.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    _refused(f"TRUNCATE {table} CASCADE")
    assert model.objects.exists()


@pytest.mark.django_db
def test_other_tables_are_not_guarded(clock: FrozenClock) -> None:
    from jigsaw.access.services import token_create

    issued = token_create(agency_code="NMUH")
    token = issued.token
    token.name = "renamed"
    token.save()
    assert type(token).objects.get().name == "renamed"
