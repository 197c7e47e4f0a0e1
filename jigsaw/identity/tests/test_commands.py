"""`jigsaw linkage …`, `jigsaw household`, and the person-wide `jigsaw chronology`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from django.test import override_settings

from jigsaw.core.clock import clock
from jigsaw.core.dates import parse_instant
from jigsaw.identity.linking import stored_model
from jigsaw.identity.matching import Thresholds
from jigsaw.identity.models import Decision, LinkageModel
from jigsaw.identity.tests.helpers import AGENCIES, family, home, person, person_of, send
from jigsaw.records.tests.factories import EventObj

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clock")]

Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def household() -> None:
    send(*family())


@pytest.mark.usefixtures("household")
def test_merge_unmerge_confirm_reject_from_the_command_line(jigsaw_cli: Cli) -> None:
    a, b = person_of("GP:G1"), person_of("GP:G2")
    code, out, err = jigsaw_cli(
        "linkage", "merge", str(a), str(b), "--reason", "one", "--actor", "Sam"
    )
    assert code == 0, err
    assert "2 record(s) moved" in out
    merge = Decision.objects.get(kind="merge")
    assert merge.actor_name == "Sam"
    code, out, _ = jigsaw_cli("linkage", "unmerge", str(merge.pk), "--reason", "twins")
    assert (code, person_of("GP:G1")) == (0, a)
    code, _, err = jigsaw_cli("linkage", "unmerge", str(merge.pk), "--reason", "twins")
    assert code != 0
    assert "already unmerged" in err
    code, _, err = jigsaw_cli("linkage", "merge", "999999", str(b), "--reason", "x")
    assert code != 0
    assert "there is no person 999999" in err
    code, _, err = jigsaw_cli("linkage", "confirm", "GP:G2", str(a))
    assert code != 0
    assert "--reason" in err
    # The unmerge keeps the twins apart: confirming one into the other's person conflicts.
    code, _, err = jigsaw_cli("linkage", "confirm", "GP:G2", str(a), "--reason", "same")
    assert code != 0
    assert "different people by decision" in err
    assert "unmerge" in err
    sister = person_of("GP:G3")
    code, out, _ = jigsaw_cli("linkage", "confirm", "SCH:S3", str(sister), "--reason", "same")
    assert code == 0
    assert person_of("SCH:S3") == sister
    code, out, _ = jigsaw_cli("linkage", "reject", "GP:G3", "SCH:S3", "--reason", "sisters")
    assert code == 0
    assert person_of("SCH:S3") != sister
    code, _, err = jigsaw_cli("linkage", "reject", "GP:G1", "NOPE:1", "--reason", "x")
    assert code != 0
    assert "no person record" in err


def test_review_shows_the_two_records_side_by_side(jigsaw_cli: Cli) -> None:
    where = home("115 Bradley Street", "N10 4LA")
    send(*AGENCIES, person("GP", "G1", "Mia", "Stone", "1974-10-23", sex="F", **where))
    send(person("SCH", "S1", "Mai", "Stone", "1974-10-23", sex="F", **where))
    code, out, _ = jigsaw_cli("linkage", "review")
    assert code == 0
    assert "GP:G1" in out
    assert "SCH:S1" in out
    assert "Mia" in out
    assert "Mai" in out
    assert "family name     exact" in out
    code, out, _ = jigsaw_cli("linkage", "review", "--json")
    [item] = orjson.loads(out)
    assert item["record_a"]["given_name"] == "Mia"


@pytest.mark.usefixtures("household")
def test_train_and_relink(jigsaw_cli: Cli) -> None:
    code, out, _ = jigsaw_cli("linkage", "train")
    assert code == 0
    assert "Trained on 9 records" in out
    assert LinkageModel.objects.get().source == "command"
    code, out, _ = jigsaw_cli("linkage", "relink")
    assert code == 0
    assert "Relinked 9 records" in out


@pytest.mark.usefixtures("household")
def test_a_local_authority_sets_the_thresholds_when_it_trains(jigsaw_cli: Cli) -> None:
    code, out, err = jigsaw_cli("linkage", "train", "--auto-link", "9", "--review", "-2.5")
    assert code == 0, err
    assert "Auto-link at match weight 9 or more, review at -2.5 or more." in out
    assert LinkageModel.objects.get().parameters["thresholds"] == {"auto_link": 9, "review": -2.5}
    assert stored_model().model.thresholds == Thresholds(9, -2.5)
    # Trained again (by the command or automatically at ingest), the choice is kept.
    code, out, _ = jigsaw_cli("linkage", "train")
    assert (code, stored_model().model.thresholds) == (0, Thresholds(9, -2.5))
    code, _, err = jigsaw_cli("linkage", "train", "--review", "12")
    assert code != 0
    assert "review threshold (12) must not be above the auto-link threshold (9)" in err
    code, _, err = jigsaw_cli("linkage", "train", "--auto-link", "six")
    assert code != 0
    assert "--auto-link" in err
    assert LinkageModel.objects.count() == 2
    # The environment's settings win over the stored model's, and the command says so.
    with override_settings(JIGSAW_LINK_AUTO_THRESHOLD=7.0):
        code, out, _ = jigsaw_cli("linkage", "train")
        assert stored_model().model.thresholds == Thresholds(7, -2.5)
    assert "The environment overrides them: auto-link at 7, review at -2.5" in out


def test_dedupe_a_csv(jigsaw_cli: Cli, tmp_path: Path) -> None:
    source = tmp_path / "in.csv"
    source.write_text(
        "record_id,source,given_name,family_name,date_of_birth,sex,nhs_number,address_line,postcode\n"
        "1,GP,Peter,Smith,2006-03-01,M,9434765919,12 Acacia Road,N17 6AB\n"
        "2,SCH,Pete,Smith,2006-03-01,M,,12 Acacia Rd,N17 6AB\n"
        "3,POL,Mary,Jones,01/02/1980,F,123,,nowhere\n"
    )
    code, out, err = jigsaw_cli("linkage", "dedupe", str(source), str(tmp_path / "out.csv"))
    assert code == 0
    assert "3 records" in out
    assert "date of birth (not YYYY-MM-DD) 1" in err
    assert "NHS number (fails its check) 1" in err
    assert "postcode (not a UK postcode) 1" in err
    assert (tmp_path / "out.csv").read_text().splitlines()[0] == "record_id,cluster_id"
    code, _, err = jigsaw_cli("linkage", "dedupe", str(tmp_path / "missing.csv"), "x.csv")
    assert code != 0
    assert "no such file" in err


def test_dedupe_ignores_impossible_dates_and_placeholder_postcodes(
    jigsaw_cli: Cli, tmp_path: Path
) -> None:
    # Two strangers of no fixed abode, and dates of birth that cannot be right, in a file saved
    # by a Windows spreadsheet (Windows-1252: "Zoë" is one byte that is not UTF-8).
    source = tmp_path / "in.csv"
    source.write_bytes(
        "record_id,source,given_name,family_name,date_of_birth,sex,nhs_number,address_line,postcode\n"
        "1,POL,Zo\u00eb,Smith,2090-01-01,F,,No fixed abode,ZZ99 3VZ\n"
        "2,POL,Zoe,Smith,1890-05-05,F,,No fixed abode,ZZ99 3VZ\n"
        "3,GP,Kai,Lee,2001-02-03,M,,,\n".encode("cp1252")
    )
    out_csv = tmp_path / "out.csv"
    with clock.frozen(parse_instant("2007-06-01T12:00:00Z", end_of_day=False)):
        code, out, err = jigsaw_cli("linkage", "dedupe", str(source), str(out_csv))
    assert code == 0, err
    assert "is not UTF-8: read as Windows-1252" in err
    assert "date of birth in the future 1" in err
    assert "date of birth before 1900 1" in err
    assert "ZZ99 placeholder postcode 2" in err
    assert "3 records -> 3 persons" in out
    rows = out_csv.read_text().splitlines()
    assert len(rows) == 4


def test_household_and_person_wide_chronology(jigsaw_cli: Cli) -> None:
    h = home()
    send(
        *AGENCIES,
        person("CSC", "C1", "Amara", "Okafor", "2005-05-14", sex="F", **h),
        person("POL", "P1", "Amara", "Okafor", "2005-05-14", sex="F", **h),
        person("POL", "P2", "Tomasz", "Nowak", "1978-11-02"),
        EventObj(agency="POL", event_id="HC-1", type="household_change",
                 occurred_at="2007-03-01T20:00:00Z", recorded_at="2007-03-02T09:00:00Z",
                 details={"change": "joined", "relationship": "partner_of_parent"},
                 subjects=[{"local_id": "P2", "role": "household_member"},
                           {"local_id": "P1", "role": "child"}]),
        EventObj(agency="CSC", event_id="R-1", type="referral_decision",
                 details={"decision": "assessment"},
                 subjects=[{"local_id": "C1", "role": "child"}]),
    )  # fmt: skip
    code, out, _ = jigsaw_cli("household", "CSC:C1")
    assert code == 0
    assert "Tomasz Nowak" in out
    assert "NOT KNOWN TO SOCIAL CARE" in out
    code, out, _ = jigsaw_cli("household", "CSC:C1", "--json", "--as-of", "2007-03-01")
    assert orjson.loads(out)["members"] == []
    code, out, _ = jigsaw_cli("chronology", "CSC:C1")
    lines = out.splitlines()
    assert len(lines) == 2
    assert "POL " in lines[0]
    assert "household_change" in lines[0]
    assert "CSC " in lines[1]
    code, out, _ = jigsaw_cli("chronology", "CSC:C1", "--json")
    entries = orjson.loads(out)
    assert [e["record"] for e in entries] == ["POL:P1", "CSC:C1"]
    assert {e["person"] for e in entries} == {str(person_of("CSC:C1"))}
    code, _, err = jigsaw_cli("household", "CSC:NOPE")
    assert code != 0
    assert "no person record" in err
