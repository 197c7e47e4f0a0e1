"""The multi-agency chronology: who sees which entries, filters, "as known on", significance
marks, and the CSV and PDF exports with their audit entries."""

from __future__ import annotations

import csv
import html
import io
import re
import uuid
import zlib
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client

from jigsaw.access.models import AuditEntry
from jigsaw.access.tests.helpers import sign_in_as
from jigsaw.access.tests.world import World
from jigsaw.casework.child_record import entry_anchor
from jigsaw.casework.models import FormReceipt, Significance
from jigsaw.records.tests.factories import EventObj, ingest

pytestmark = pytest.mark.django_db

INC = entry_anchor("MPS", "INC-1")
AE = entry_anchor("NMUH", "AE-1")


def client_of(world: World, who: str) -> Client:
    return sign_in_as(Client(), world.user(who))


def url(world: World, person: str, suffix: str = "", **query: Any) -> str:
    base = f"/children/{world.people[person]}/chronology{suffix}"
    return base + ("?" + urlencode(query, doseq=True) if query else "")


def text(response: Any) -> str:
    return html.unescape(" ".join(response.content.decode().split()))


def rows(response: Any) -> list[str]:
    """The ids of the entries' rows, in the order shown."""
    return re.findall(r'<tr class="govuk-table__row" id="(entry-[^"]+)"', response.content.decode())


def as_of(day: int, month: int, year: int) -> dict[str, str]:
    return {"as-of-day": str(day), "as-of-month": str(month), "as-of-year": str(year)}


# --- who sees what ---------------------------------------------------------------------------


def test_the_social_worker_sees_every_agencys_entries_newest_first(world: World) -> None:
    response = client_of(world, "sw_a").get(url(world, "peter"))
    assert response.status_code == 200
    assert rows(response) == [INC, AE]
    body = text(response)
    assert "Police incident" in body
    assert "Metropolitan Police" in body
    assert "Domestic abuse; children present" in body
    assert "A&E attendance" in body
    assert "Bruise (face)" in body
    assert "2 entries" in body
    assert "Significance marks are shown as they stand now" in body


def test_oldest_first_on_request(world: World) -> None:
    response = client_of(world, "sw_a").get(url(world, "peter", order="oldest"))
    assert rows(response) == [AE, INC]


def test_the_read_is_audited(world: World) -> None:
    client_of(world, "sw_a").get(url(world, "peter"))
    entry = AuditEntry.objects.get(
        user_id=world.user("sw_a").pk, action="read", object_type="chronology"
    )
    assert entry.person_ids == [str(world.people["peter"])]
    assert entry.basis == "allocation"
    assert entry.detail["entries"] == 2


def test_the_hospital_sees_only_its_own_entries(world: World) -> None:
    response = client_of(world, "nmuh").get(url(world, "peter"))
    assert response.status_code == 200
    assert rows(response) == [AE]
    body = text(response)
    assert "Police incident" not in body
    assert "Only North Middlesex Hospital's entries are shown to you" in body
    # Agency staff may look, not mark
    assert "Mark as significant" not in body


def test_a_social_worker_of_another_team_gets_not_found(world: World) -> None:
    response = client_of(world, "sw_b").get(url(world, "peter"))
    assert response.status_code == 404
    assert "Police incident" not in text(response)
    assert f"/break-glass/{world.people['peter']}?next=" in text(response)


def test_restricted_entries_are_for_managers_and_withheld_from_workers(world: World) -> None:
    manager = client_of(world, "tm_a").get(url(world, "tracey"))
    assert manager.status_code == 200
    body = text(manager)
    assert "SH-1" in body
    assert "Restricted: sexual health" in body
    worker = client_of(world, "sw_a").get(url(world, "tracey"))
    body = text(worker)
    assert "SH-1" not in body
    assert "1 entry is in a restricted category your role cannot see." in body


# --- filters and "as known on" ---------------------------------------------------------------


def test_filter_by_agency_and_type(world: World) -> None:
    client = client_of(world, "sw_a")
    by_agency = client.get(url(world, "peter", agency=["MPS"]))
    assert rows(by_agency) == [INC]
    assert "Showing 1 of 2 entries" in text(by_agency)
    assert 'value="MPS" checked' in by_agency.content.decode()
    by_type = client.get(url(world, "peter", type="ae_attendance"))
    assert rows(by_type) == [AE]
    both = client.get(url(world, "peter", agency=["MPS", "NMUH"], type="police_incident"))
    assert rows(both) == [INC]
    # A type nobody offered is left out, not refused
    assert rows(client.get(url(world, "peter", type="made_up"))) == [INC, AE]


def test_as_known_on_leaves_out_what_was_recorded_later(world: World) -> None:
    client = client_of(world, "sw_a")
    # The incident happened late on 2 June and was recorded on the morning of the 3rd
    before = client.get(url(world, "peter", **as_of(2, 6, 2007)))
    assert before.status_code == 200
    assert rows(before) == [AE]
    assert "As known on 2 June 2007: entries recorded later are not shown." in text(before)
    after = client.get(url(world, "peter", **as_of(3, 6, 2007)))
    assert rows(after) == [INC, AE]
    entry = AuditEntry.objects.filter(object_type="chronology", action="read").last()
    assert entry is not None
    assert entry.detail["as_of"].startswith("2007-06-03T22:59:59")  # the day's end, UK time


def test_a_bad_date_shows_the_error_and_no_entries(world: World) -> None:
    response = client_of(world, "sw_a").get(url(world, "peter", **as_of(31, 2, 2007)))
    assert response.status_code == 400
    body = text(response)
    assert "There is a problem" in body
    assert 'href="#as-of-day">The date must be a real date' in body
    assert rows(response) == []
    assert "<title>Error: " in body
    future = client_of(world, "sw_a").get(url(world, "peter", **as_of(1, 1, 2009)))
    assert "The date must be today or in the past" in text(future)
    assert client_of(world, "sw_b").get(url(world, "peter", **as_of(31, 2, 2007))).status_code == (
        404
    )


def test_a_bad_date_keeps_the_filters_as_they_were_asked_for(world: World) -> None:
    asked = url(world, "peter", agency=["MPS"], type="police_incident", **as_of(31, 2, 2007))
    response = client_of(world, "sw_a").get(asked)
    assert response.status_code == 400
    html = response.content.decode()
    assert rows(response) == []
    # Both agencies are still offered, the one chosen still ticked, the type still selected.
    assert 'value="MPS" checked' in html
    assert 'value="NMUH"' in html
    assert 'value="NMUH" checked' not in html
    assert re.search(r'<option value="police_incident" selected', html)


def test_the_chronology_page_reads_in_few_queries(
    world: World, django_assert_max_num_queries: Any
) -> None:
    for n in range(30):
        ingest([EventObj(agency="NMUH", event_id=f"HC-{n}", type="health_contact",
                         occurred_at=f"2007-12-{n % 28 + 1:02d}T10:00:00Z",
                         recorded_at=f"2007-12-{n % 28 + 1:02d}T11:00:00Z",
                         subjects=[{"local_id": "H1", "role": "child"}],
                         details={"service": "health_visitor", "child_seen": True})])  # fmt: skip
    client = client_of(world, "sw_a")
    with django_assert_max_num_queries(40):  # 30 now, whatever the number of entries
        response = client.get(url(world, "peter"))
    assert len(rows(response)) == 32


# --- significance ----------------------------------------------------------------------------


def mark(
    client: Client,
    world: World,
    *,
    event: tuple[str, str] = ("MPS", "INC-1"),
    significant: bool = True,
    seen: int = 0,
    key: str | None = None,
    back: str = "",
    person: str = "peter",
) -> Any:
    return client.post(
        f"/children/{world.people[person]}/chronology/significance",
        {
            "key": key or str(uuid.uuid4()),
            "agency": event[0],
            "event": event[1],
            "significant": "yes" if significant else "no",
            "seen": str(seen),
            "return": back,
        },
    )


def marks(world: World) -> list[Significance]:
    return list(Significance.objects.filter(person_id=world.people["peter"]).order_by("id"))


def test_marking_an_entry_records_it_and_returns_to_the_same_page(world: World) -> None:
    client = client_of(world, "sw_a")
    response = mark(client, world, back="agency=MPS&order=oldest")
    assert response.status_code == 302
    pid = world.people["peter"]
    assert response["Location"] == f"/children/{pid}/chronology?agency=MPS&order=oldest#{INC}"
    [row] = marks(world)
    assert row.significant is True
    assert row.marked_by == world.user("sw_a")
    entry = AuditEntry.objects.get(action="write", object_type="significance")
    assert entry.object_id == str(row.pk)
    assert entry.person_ids == [str(pid)]
    assert entry.detail == {"event": "MPS:INC-1", "significant": True}
    page = client.get(response["Location"])
    body = text(page)
    assert "Marked as significant: Police incident on 3 Jun 2007, 00:00" in body
    assert "Significant" in body
    assert "Unmark" in body
    assert f'name="mark" value="no:{row.pk}:MPS:INC-1"' in page.content.decode()
    only = client.get(url(world, "peter", significant="yes"))
    assert rows(only) == [INC]


def test_marks_are_appended_and_the_latest_wins(world: World) -> None:
    client = client_of(world, "sw_a")
    mark(client, world)
    first = marks(world)[0]
    mark(client, world, significant=False, seen=first.pk)
    assert [m.significant for m in marks(world)] == [True, False]
    assert rows(client.get(url(world, "peter", significant="yes"))) == []
    body = text(client.get(url(world, "peter")))
    assert "Unmarked by sw.a" in body


def test_a_form_sent_twice_records_once(world: World) -> None:
    client = client_of(world, "sw_a")
    key = str(uuid.uuid4())
    first = mark(client, world, key=key)
    second = mark(client, world, key=key)
    assert len(marks(world)) == 1
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert FormReceipt.objects.filter(key=key).count() == 1
    assert AuditEntry.objects.filter(action="write", object_type="significance").count() == 1


def test_a_mark_changed_meanwhile_is_explained_not_overwritten(world: World) -> None:
    # Both opened the page with no mark; the manager marks first
    mark(client_of(world, "tm_a"), world)
    worker = client_of(world, "sw_a")
    response = mark(worker, world, significant=True, seen=0)
    assert response.status_code == 302
    assert len(marks(world)) == 1
    body = text(worker.get(response["Location"]))
    assert "tm.a changed this entry's mark on 15 Jan 2008, 12:00, after you opened the page" in body
    assert "Nothing was changed" in body


@pytest.mark.parametrize(("who", "status"), [("director", 403), ("nmuh_lead", 403),
                                             ("inspector", 403), ("sw_b", 404), ("mash", 404),
                                             ("analyst", 403)])  # fmt: skip
def test_only_those_who_may_act_on_the_case_mark(world: World, who: str, status: int) -> None:
    response = mark(client_of(world, who), world)
    assert response.status_code == status
    assert marks(world) == []


def test_an_entry_the_user_may_not_see_cannot_be_marked(world: World) -> None:
    # Tracey's sexual-health contact is withheld from the social worker
    response = mark(client_of(world, "sw_a"), world, person="tracey", event=("NMUH", "SH-1"))
    assert response.status_code == 404
    # and an event about someone else is no entry of Peter's
    other = mark(client_of(world, "sw_a"), world, event=("SCH", "ABS-1"))
    assert other.status_code == 404
    assert not Significance.objects.exists()


def health_contacts(n: int) -> None:
    for i in range(n):
        ingest([EventObj(agency="NMUH", event_id=f"HC-{i}", type="health_contact",
                         occurred_at=f"2007-{i % 12 + 1:02d}-{i % 28 + 1:02d}T10:{i % 60:02d}:00Z",
                         recorded_at=f"2007-{i % 12 + 1:02d}-{i % 28 + 1:02d}T11:00:00Z",
                         subjects=[{"local_id": "H1", "role": "child"}],
                         details={"service": "health_visitor", "child_seen": True})])  # fmt: skip


def test_one_form_for_the_page_with_a_button_naming_each_entry(world: World) -> None:
    page = client_of(world, "sw_a").get(url(world, "peter", order="oldest"))
    body = page.content.decode()
    read_only = client_of(world, "director").get(url(world, "peter")).content.decode()
    tokens = 'name="csrfmiddlewaretoken"'
    assert body.count(tokens) == read_only.count(tokens) + 1  # the layout's own, and the page's
    assert 'name="mark"' not in read_only
    assert body.count('name="key"') == 1
    assert body.count("/chronology/significance") == 1
    assert 'name="return" value="order=oldest"' in body
    assert re.findall(r'name="mark" value="([^"]+)"', body) == [
        "yes:0:NMUH:AE-1",
        "yes:0:MPS:INC-1",
    ]


def test_a_button_of_the_page_form_marks_its_entry_once(world: World) -> None:
    client = client_of(world, "sw_a")
    key = str(uuid.uuid4())
    pid = world.people["peter"]
    form = {"key": key, "return": "order=oldest&page=1", "mark": "yes:0:MPS:INC-1"}
    first = client.post(f"/children/{pid}/chronology/significance", form)
    again = client.post(f"/children/{pid}/chronology/significance", form)
    assert (
        first["Location"] == again["Location"] == (f"/children/{pid}/chronology?order=oldest#{INC}")
    )
    assert [(m.event.event_id, m.significant) for m in marks(world)] == [("INC-1", True)]
    # another row's button, pressed from the same page, acts too
    other = {**form, "mark": "yes:0:NMUH:AE-1"}
    client.post(f"/children/{pid}/chronology/significance", other)
    assert [m.event.event_id for m in marks(world)] == ["INC-1", "AE-1"]
    assert AuditEntry.objects.filter(action="write", object_type="significance").count() == 2


def test_a_page_form_shown_before_a_change_is_explained_not_overwritten(world: World) -> None:
    mark(client_of(world, "tm_a"), world)
    worker = client_of(world, "sw_a")
    pid = world.people["peter"]
    response = worker.post(
        f"/children/{pid}/chronology/significance",
        {"key": str(uuid.uuid4()), "return": "", "mark": "yes:0:MPS:INC-1"},
    )
    assert len(marks(world)) == 1
    assert "after you opened the page" in text(worker.get(response["Location"]))


def test_a_malformed_button_value_changes_nothing(world: World) -> None:
    pid = world.people["peter"]
    response = client_of(world, "sw_a").post(
        f"/children/{pid}/chronology/significance",
        {"key": str(uuid.uuid4()), "return": "", "mark": "yes"},
    )
    assert response.status_code == 404
    assert marks(world) == []


def test_entries_come_a_page_at_a_time_and_the_filters_are_kept(world: World) -> None:
    health_contacts(130)
    client = client_of(world, "sw_a")
    first = client.get(url(world, "peter", order="oldest"))
    body = first.content.decode()
    assert len(rows(first)) == 100
    assert "132 entries" in text(first)
    assert "Entries 1 to 100 of 132 (page 1 of 2)." in text(first)
    assert "govuk-pagination" in body
    assert 'href="?order=oldest&amp;page=2#entries"' in body or "order=oldest&amp;page=2" in body
    assert 'name="return" value="order=oldest"' in body
    second = client.get(url(world, "peter", order="oldest", page="2"))
    assert len(rows(second)) == 32
    assert "Entries 101 to 132 of 132 (page 2 of 2)." in text(second)
    assert 'name="return" value="order=oldest&amp;page=2"' in second.content.decode()
    assert set(rows(first)).isdisjoint(rows(second))
    # a page past the last shows the last; nonsense shows the first
    assert rows(client.get(url(world, "peter", order="oldest", page="9"))) == rows(second)
    assert rows(client.get(url(world, "peter", order="oldest", page="x"))) == rows(first)
    # marking from page 2 returns to page 2
    pid = world.people["peter"]
    back = client.post(
        f"/children/{pid}/chronology/significance",
        {"key": str(uuid.uuid4()), "return": "order=oldest&page=2", "mark": "yes:0:MPS:INC-1"},
    )
    assert back["Location"] == f"/children/{pid}/chronology?order=oldest&page=2#{INC}"
    # the exports hold every entry, whatever the page
    table = client.get(url(world, "peter", ".csv", order="oldest", page="2"))
    assert len(list(csv.reader(io.StringIO(table.content.decode("utf-8-sig"))))) == 133


def test_one_page_needs_no_pagination(world: World) -> None:
    response = client_of(world, "sw_a").get(url(world, "peter"))
    assert "govuk-pagination" not in response.content.decode()
    assert "page 1 of" not in text(response)


# --- exports ---------------------------------------------------------------------------------


def exports(world: World, who: str = "sw_a") -> list[AuditEntry]:
    return list(
        AuditEntry.objects.filter(user_id=world.user(who).pk, action="export").order_by("seq")
    )


def test_csv_export_with_the_pages_filters(world: World) -> None:
    client = client_of(world, "sw_a")
    mark(client, world)
    response = client.get(url(world, "peter", ".csv", order="oldest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    pid = world.people["peter"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="chronology-person-{pid}-as-known-2008-01-15.csv"'
    )
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[0][:5] == ["Date and time (UK)", "Agency", "Agency code", "Type", "What happened"]
    assert [r[12] for r in table[1:]] == ["AE-1", "INC-1"]
    assert table[2][1] == "Metropolitan Police"
    assert table[2][10] == "Yes"  # significant
    filtered = client.get(url(world, "peter", ".csv", **as_of(2, 6, 2007)))
    assert [r[12] for r in csv.reader(io.StringIO(filtered.content.decode("utf-8-sig")))][1:] == [
        "AE-1"
    ]
    assert (
        f'filename="chronology-person-{pid}-as-known-2007-06-02.csv"'
        in (filtered["Content-Disposition"])
    )


def test_each_export_is_audited_with_its_filters(world: World) -> None:
    client = client_of(world, "sw_a")
    client.get(url(world, "peter", ".csv", agency=["MPS"]))
    client.get(url(world, "peter", ".pdf", **as_of(2, 6, 2007)))
    csv_entry, pdf_entry = exports(world)
    pid = str(world.people["peter"])
    assert csv_entry.object_type == "chronology"
    assert csv_entry.object_id == pid
    assert csv_entry.person_ids == [pid]
    assert csv_entry.record_ids == [world.records["MPS:P2"]]
    assert csv_entry.detail["format"] == "csv"
    assert csv_entry.detail["filters"]["agencies"] == ["MPS"]
    assert csv_entry.detail["entries"] == ["MPS:INC-1"]
    assert pdf_entry.detail["format"] == "pdf"
    assert pdf_entry.detail["filters"]["as_of"] == "2007-06-02"
    assert pdf_entry.record_ids == [world.records["NMUH:H1"]]


def test_a_spreadsheet_formula_in_a_narrative_is_not_run(world: World) -> None:
    ingest([EventObj(agency="NMUH", event_id="N-1", type="note",
                     occurred_at="2007-12-01T10:00:00Z", recorded_at="2007-12-01T10:00:00Z",
                     subjects=[{"local_id": "H1", "role": "child"}], details={},
                     narrative="=HYPERLINK(\"http://example.org\")")])  # fmt: skip
    response = client_of(world, "sw_a").get(url(world, "peter", ".csv", type="note"))
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert table[1][5].startswith("'=HYPERLINK")


def pdf_text(data: bytes) -> str:
    """The text drawn on a PDF's pages, as fpdf2 writes it: each font's glyph codes read back
    through its ToUnicode map (or as Latin-1 for a core font)."""
    objects = {int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S)}

    def stream(body: bytes) -> bytes:
        found = re.search(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S)
        raw = found[1] if found else b""
        return zlib.decompress(raw) if b"/FlateDecode" in body else raw

    cmaps: dict[int, dict[int, str]] = {}
    for number, body in objects.items():
        ref = re.search(rb"/ToUnicode (\d+) 0 R", body)
        if ref:
            pairs = re.findall(
                rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", stream(objects[int(ref[1])])
            )
            cmaps[number] = {int(a, 16): bytes.fromhex(b.decode()).decode("utf-16-be")
                             for a, b in pairs}  # fmt: skip
    fonts = {
        name.decode(): cmaps.get(int(number))
        for body in objects.values()
        for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", body)
    }
    escapes = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", "(": "(", ")": ")",
               "\\": "\\"}  # fmt: skip
    out: list[str] = []
    for body in objects.values():
        content = stream(body).decode("latin-1") if b"/Length" in body else ""
        if "BT" not in content:
            continue
        font: dict[int, str] | None = None
        for m in re.finditer(r"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) ?Tj|\[(.*?)\] ?TJ", content,
                             re.S):  # fmt: skip
            if m[1]:
                font = fonts.get(m[1])
                continue
            for s in [m[2]] if m[2] is not None else re.findall(r"\(((?:\\.|[^\\)])*)\)", m[3]):
                raw = re.sub(
                    r"\\([nrtbf()\\]|[0-7]{1,3})",
                    lambda e: escapes.get(e[1]) or chr(int(e[1], 8)),
                    s,
                )
                if font is None:
                    out.append(raw)
                    continue
                b = raw.encode("latin-1")
                out.append(
                    "".join(
                        font.get(int.from_bytes(b[i : i + 2]), "?") for i in range(0, len(b), 2)
                    )
                )
            out.append(" ")
    return " ".join("".join(out).split())


def test_pdf_export_for_a_conference(world: World) -> None:
    client = client_of(world, "sw_a")
    mark(client, world, event=("NMUH", "AE-1"))
    response = client.get(url(world, "peter", ".pdf", **as_of(2, 6, 2007)))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pid = world.people["peter"]
    assert response["Content-Disposition"] == (
        f'attachment; filename="chronology-person-{pid}-as-known-2007-06-02.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    words = pdf_text(response.content)
    assert "Multi-agency chronology" in words
    assert "Peter Smith" in words
    assert "Date of birth: 1 March 2006" in words
    assert "As known on 2 June 2007: entries recorded later are not shown." in words
    assert "Generated by sw.a (Social worker) on 15 January 2008 at 12:00." in words
    assert words.count("OFFICIAL-SENSITIVE") == 2  # top and foot of its one page
    assert "Page 1 of 1" in words
    assert "A&E attendance" in words
    assert "Bruise (face)" in words
    assert "Police incident" not in words


def test_pdf_export_runs_to_several_numbered_pages(world: World) -> None:
    ingest([EventObj(agency="NMUH", event_id=f"HC-{n}", type="health_contact",
                     occurred_at="2007-12-01T10:00:00Z", recorded_at="2007-12-01T11:00:00Z",
                     subjects=[{"local_id": "H1", "role": "child"}],
                     details={"service": "health_visitor", "child_seen": True},
                     narrative="Seen at home with mother. " * 20) for n in range(40)])  # fmt: skip
    response = client_of(world, "sw_a").get(url(world, "peter", ".pdf"))
    words = pdf_text(response.content)
    pages = int(re.findall(r"Page \d+ of (\d+)", words)[0])
    assert pages > 1
    assert words.count("OFFICIAL-SENSITIVE") == 2 * pages
    assert f"Page {pages} of {pages}" in words


def test_pdf_without_a_unicode_font_falls_back_to_helvetica(world: World, settings: Any) -> None:
    settings.JIGSAW_PDF_FONT_DIR = "/nonexistent"
    response = client_of(world, "sw_a").get(url(world, "peter", ".pdf"))
    assert response.content.startswith(b"%PDF")
    words = pdf_text(response.content)
    assert "Peter Smith" in words
    assert 'explanation: "fell against the sofa"' in words  # curly quotes made plain


def test_a_hidden_childs_export_is_not_found(world: World) -> None:
    for suffix in (".csv", ".pdf"):
        response = client_of(world, "sw_b").get(url(world, "peter", suffix))
        assert response.status_code == 404
        assert b"Police incident" not in response.content
    assert exports(world, "sw_b") == []


def test_an_export_with_a_bad_date_goes_back_to_the_page(world: World) -> None:
    response = client_of(world, "sw_a").get(url(world, "peter", ".csv", **as_of(31, 2, 2007)))
    assert response.status_code == 302
    assert response["Location"].startswith(f"/children/{world.people['peter']}/chronology?")
    assert exports(world) == []
