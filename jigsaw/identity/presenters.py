"""Linkage as a person reads it at the terminal: review items side by side, households."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from jigsaw.identity.households import Household
    from jigsaw.identity.matching import DedupeSummary
    from jigsaw.identity.selectors import RecordView, ReviewView

_FIELDS = (
    ("given_name", "Given name"),
    ("family_name", "Family name"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("nhs_number", "NHS number"),
    ("address", "Address"),
)
_EXPLAINED = {
    "given_name": "given name",
    "family_name": "family name",
    "date_of_birth": "date of birth",
    "postcode": "postcode",
    "address_line": "address",
    "sex": "sex",
    "nhs_number": "NHS number",
}


def _value(record: RecordView, name: str) -> str:
    value = getattr(record, name)
    if value in (None, ""):
        return "-"
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def review_lines(view: ReviewView) -> list[str]:
    """One review item: the two records side by side, then what each comparison added."""
    a, b = view.record_a, view.record_b
    lines = [
        f"Review {view.item_id}: match weight {view.weight:+.1f} "
        f"(probability {view.probability:.3f}), raised {view.raised_at.date().isoformat()}",
        f"  {'':<14} {a.ref:<36} {b.ref}",
        f"  {'Person':<14} {_person(view.person_a):<36} {_person(view.person_b)}",
    ]
    for name, label in _FIELDS:
        lines.append(f"  {label:<14} {_value(a, name)[:36]:<36} {_value(b, name)[:36]}")
    lines.append("  Comparison      level                                   weight")
    for c in view.explanation:
        lines.append(
            f"  {_EXPLAINED.get(c['comparison'], c['comparison']):<15} "
            f"{c['level'][:38]:<39} {c['weight']:+6.1f}"
        )
    return lines


def _person(person: int | None) -> str:
    return str(person) if person is not None else "(none)"


def household_lines(household: Household) -> list[str]:
    lines = [f"Person {household.person_id}, as known on {household.as_of.date().isoformat()}"]
    if household.addresses:
        for address, agencies in household.addresses.items():
            lines.append(f"  Lives at {address} (according to {', '.join(agencies)})")
    else:
        lines.append("  No address known")
    if not household.members:
        lines.append("  Nobody known to live with them")
    for m in household.members:
        who = m.name or "(no name)"
        person = f"person {m.person_id}" if m.person_id is not None else "not linked"
        since = m.since.isoformat() if m.since else "unknown"
        flags = ["adult" if m.adult else "child"]
        if m.relationship:
            flags.append(m.relationship.replace("_", " "))
        if m.adult and not m.known_to_social_care:
            flags.append("NOT KNOWN TO SOCIAL CARE")
        lines.append(f"  {who} ({person}; {', '.join(flags)}), since {since}")
        for s in m.sources:
            what = "address" if s.kind == "address" else f"household change ({s.relationship})"
            when = s.since.isoformat() if s.since else "?"
            lines.append(f"      {s.agency:<8} {s.record:<28} {what} from {when}")
    return lines


# What `jigsaw linkage dedupe` ignored, as the analyst reads it.
_IGNORED = {
    "date_of_birth": "date of birth (not YYYY-MM-DD)",
    "date_of_birth_future": "date of birth in the future",
    "date_of_birth_before_1900": "date of birth before 1900",
    "nhs_number": "NHS number (fails its check)",
    "postcode": "postcode (not a UK postcode)",
    "postcode_placeholder": "ZZ99 placeholder postcode",
    "duplicate_record_id": "repeated record_id (kept apart by line)",
}


def ignored_values(summary: DedupeSummary) -> str:
    """The values ignored, counted: "date of birth in the future 2, ZZ99 placeholder postcode 1"."""
    return ", ".join(
        f"{_IGNORED.get(name, name.replace('_', ' '))} {count}"
        for name, count in summary.warnings.items()
    )
