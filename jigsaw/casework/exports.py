"""A child's chronology as people read it: the page's rows, the CSV and the PDF for conferences
and reviews all come from `entry_row`, so the three always say the same thing.

The PDF is A4 landscape, marked OFFICIAL-SENSITIVE at the top and foot of every page, with
page numbers. It is set in DejaVu Sans when the font is installed (Debian's fonts-dejavu-core;
`JIGSAW_PDF_FONT_DIR` names another folder holding DejaVuSans.ttf and DejaVuSans-Bold.ttf),
so every name prints as written; without it, in Helvetica, which holds only Latin-1: other
letters are printed without their accents or as "?".
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from fpdf import FPDF
from fpdf.fonts import FontFace

from jigsaw.access.need_to_know import RESTRICTIONS
from jigsaw.casework.child_record import ChildChronology, Entry, Filters
from jigsaw.core.dates import UK, uk_date
from jigsaw.records.presenters import event_label, event_summary, long_date

MARKING = "OFFICIAL-SENSITIVE"
DEFAULT_FONT_DIR = "/usr/share/fonts/truetype/dejavu"
PDF_DETAIL_MAX = 1200  # a table row must fit on one page: longer text is cut, and says so
RESTRICTION_LABELS = {
    "sexual_health": "sexual health",
    "adoption": "adoption",
    "sealed": "sealed",
}


def when(value: datetime) -> str:
    """2 Jun 2007, 23:00 (UK time)"""
    local = value.astimezone(UK)
    return f"{local.day} {local:%b %Y, %H:%M}"


def long_when(value: datetime) -> str:
    """15 January 2008 at 12:00 (UK time)"""
    local = value.astimezone(UK)
    return f"{local.day} {local:%B %Y} at {local:%H:%M}"


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def restriction_of(details: dict[str, Any]) -> str:
    """The restricted category an entry is in, in words ('' for none)."""
    value = (details or {}).get("restriction")
    return RESTRICTION_LABELS.get(str(value), str(value)) if value in RESTRICTIONS else ""


def entry_row(x: Entry, *, agency_names: dict[str, str]) -> dict[str, Any]:
    """One entry as every form of the chronology shows it."""
    e = x.entry
    mark = x.mark
    return {
        "anchor": x.anchor,
        "agency": e.agency,
        "agency_name": agency_names.get(e.agency, e.agency),
        "event_id": e.event_id,
        "record": e.record,
        "type": e.type,
        "label": event_label(e.type),
        "summary": _sentence(event_summary(e.type, e.details)),
        "narrative": e.narrative,
        "author": e.author_name,
        "author_role": e.author_role,
        "occurred_iso": e.occurred_at.isoformat(),
        "occurred_text": when(e.occurred_at),
        "recorded_iso": e.recorded_at.isoformat(),
        "recorded_text": when(e.recorded_at),
        "corrected": e.versions_known > 1,
        "restricted": restriction_of(e.details),
        "significant": x.significant,
        "mark_id": x.mark_id,
        "mark_text": (
            f"{'Marked' if mark.significant else 'Unmarked'} by {mark.marked_by} "
            f"on {when(mark.marked_at)}"
            if mark is not None
            else ""
        ),
    }


def filters_text(filters: Filters, agency_names: dict[str, str]) -> str:
    """The filters in words, for the PDF and the page."""
    parts = []
    if filters.agencies:
        names = sorted(agency_names.get(a, a) for a in filters.agencies)
        parts.append("entries from " + ", ".join(names))
    if filters.type:
        parts.append(f"{event_label(filters.type).lower()} entries only")
    if filters.significant_only:
        parts.append("entries marked as significant only")
    shown = "; ".join(parts) if parts else "all entries"
    order = "oldest first" if filters.oldest_first else "newest first"
    return f"{_sentence(shown)}, {order}."


def as_known_text(chronology: ChildChronology) -> str:
    day = chronology.filters.as_of
    if day is not None:
        return f"As known on {long_date(day)}: entries recorded later are not shown."
    return f"As known on {long_when(chronology.as_of)}, when this was generated."


def withheld_text(chronology: ChildChronology, agency_name: str = "") -> list[str]:
    """What need-to-know left out, in words. Agency staff are not told how many of other
    agencies' entries there are: that is those agencies' to tell."""
    if chronology.own_agency_only:
        own = agency_name or "your agency"
        return [
            f"Only {own}'s entries are shown to you. Other agencies' entries, and any entry "
            "in a restricted category, are not shown."
        ]
    if chronology.withheld:
        noun = "entry is" if chronology.withheld == 1 else "entries are"
        return [f"{chronology.withheld} {noun} in a restricted category your role cannot see."]
    return []


def export_filename(chronology: ChildChronology, extension: str, *, generated: datetime) -> str:
    """No name in it: file names travel further than files (download lists, email subjects)."""
    day = chronology.filters.as_of or uk_date(generated)
    return f"chronology-person-{chronology.person_id}-as-known-{day.isoformat()}.{extension}"


# --- CSV ------------------------------------------------------------------------------------

CSV_HEADER = [
    "Date and time (UK)",
    "Agency",
    "Agency code",
    "Type",
    "What happened",
    "Narrative",
    "Author",
    "Author's role",
    "Recorded (UK)",
    "Corrected",
    "Significant",
    "Restricted category",
    "Event ID",
    "Agency record",
]


def _cell(value: str) -> str:
    """A spreadsheet would run a cell starting with one of these as a formula."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def chronology_csv(chronology: ChildChronology) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read names as written."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for x in chronology.entries:
        row = entry_row(x, agency_names=chronology.agencies)
        writer.writerow(
            _cell(str(v))
            for v in (
                row["occurred_text"],
                row["agency_name"],
                row["agency"],
                row["label"],
                row["summary"],
                row["narrative"],
                row["author"],
                row["author_role"],
                row["recorded_text"],
                "Yes" if row["corrected"] else "No",
                "Yes" if row["significant"] else "No",
                row["restricted"],
                row["event_id"],
                row["record"],
            )
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- PDF ------------------------------------------------------------------------------------

_PLAIN = str.maketrans(
    {"\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2013": "-", "\u2014": "-",
     "\u2026": "...", "\u2022": "-", "\u00a0": " "}
)  # fmt: skip


def _latin1(text: str) -> str:
    text = text.translate(_PLAIN)
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        text = "".join(
            c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
        )
        text = text.encode("latin-1", "replace").decode("latin-1")
    return text


def _font_dir() -> Path | None:
    folder = Path(getattr(settings, "JIGSAW_PDF_FONT_DIR", "") or DEFAULT_FONT_DIR)
    wanted = (folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf")
    return folder if all(f.is_file() for f in wanted) else None


@dataclass(frozen=True)
class Generated:
    by: str  # "Sam Taylor (Social worker)"
    at: datetime


class _Document(FPDF):
    def __init__(self, *, footer_text: str) -> None:
        super().__init__(orientation="L", unit="mm", format="A4")
        self.footer_text = footer_text
        folder = _font_dir()
        if folder is not None:
            self.add_font("DejaVu", "", str(folder / "DejaVuSans.ttf"))
            self.add_font("DejaVu", "B", str(folder / "DejaVuSans-Bold.ttf"))
            self.typeface = "DejaVu"
        else:
            self.typeface = "Helvetica"
        self.set_margins(12, 16, 12)
        self.set_auto_page_break(auto=True, margin=16)

    def text_of(self, text: str) -> str:
        return text if self.typeface == "DejaVu" else _latin1(text)

    def font(self, size: float, *, bold: bool = False) -> None:
        self.set_font(self.typeface, "B" if bold else "", size)

    def header(self) -> None:
        self.set_y(6)
        self.font(9, bold=True)
        self.cell(0, 5, MARKING, align="C")
        self.set_y(16)

    def footer(self) -> None:
        self.set_y(-12)
        self.font(8, bold=True)
        self.cell(40, 5, MARKING)
        self.font(8)
        self.cell(self.epw - 80, 5, self.text_of(self.footer_text), align="C")
        self.cell(40, 5, f"Page {self.page_no()} of {{nb}}", align="R")


def chronology_pdf(chronology: ChildChronology, *, generated: Generated) -> bytes:
    """The chronology for a conference or review: who it is about, as known on when, who made
    it and when, what was left out, then a table of the entries."""
    footer = f"{chronology.name}: chronology generated {long_when(generated.at)}"
    pdf = _Document(footer_text=footer)
    t = pdf.text_of
    pdf.set_title(t(f"Multi-agency chronology: {chronology.name}"))
    pdf.set_subject(MARKING)
    pdf.set_author(t(generated.by))
    pdf.set_creator("Jigsaw")
    pdf.set_creation_date(generated.at)
    pdf.add_page()

    pdf.font(18, bold=True)
    pdf.cell(0, 9, "Multi-agency chronology", new_x="LMARGIN", new_y="NEXT")
    pdf.font(14, bold=True)
    pdf.cell(0, 8, t(chronology.name), new_x="LMARGIN", new_y="NEXT")
    pdf.font(10)
    born = chronology.date_of_birth
    lines = [
        f"Date of birth: {long_date(born) if born else 'not known'}",
        f"Jigsaw person ID: {chronology.person_id}",
        as_known_text(chronology),
        f"Generated by {generated.by} on {long_when(generated.at)}.",
        f"Shown: {filters_text(chronology.filters, chronology.agencies)}",
        *withheld_text(chronology, chronology.agencies.get(chronology.access.agency_code, "")),
    ]
    for line in lines:
        pdf.multi_cell(0, 5, t(line), new_x="LMARGIN", new_y="NEXT")
    count = len(chronology.entries)
    pdf.ln(2)
    pdf.font(12, bold=True)
    pdf.cell(0, 7, f"{count} {'entry' if count == 1 else 'entries'}", new_x="LMARGIN", new_y="NEXT")

    if not chronology.entries:
        pdf.font(10)
        pdf.multi_cell(0, 5, "No entries match.", new_x="LMARGIN", new_y="NEXT")
        return bytes(pdf.output())

    pdf.font(8)
    headings = ["Date (UK)", "Agency", "Type", "What happened", "Author", "Recorded", "Significant"]
    style = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
    with pdf.table(
        col_widths=(26, 36, 32, 96, 34, 27, 22),
        text_align="LEFT",
        v_align="TOP",
        headings_style=style,
        line_height=3.8,
        padding=1,
    ) as table:
        head = table.row()
        for heading in headings:
            head.cell(heading)
        for x in chronology.entries:
            row = entry_row(x, agency_names=chronology.agencies)
            cells = table.row()
            cells.cell(row["occurred_text"])
            cells.cell(t(row["agency_name"]))
            label = row["label"] + (" (corrected)" if row["corrected"] else "")
            if row["restricted"]:
                label += f". Restricted: {row['restricted']}; check before sharing"
            cells.cell(t(label))
            cells.cell(t(_details(row)))
            author = ", ".join(v for v in (row["author"], row["author_role"]) if v)
            cells.cell(t(author or "Not recorded"))
            cells.cell(row["recorded_text"])
            cells.cell("Yes" if row["significant"] else "")
    return bytes(pdf.output())


def _details(row: dict[str, Any]) -> str:
    text = "\n".join(v for v in (row["summary"], row["narrative"]) if v) or "No details recorded"
    if len(text) > PDF_DETAIL_MAX:
        text = text[:PDF_DETAIL_MAX].rstrip() + "… (cut short: the full text is in the CSV)"
    return text
