"""`manage.py synth`: write a synthetic local authority's agency files and ground truth."""

from __future__ import annotations

import argparse
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from jigsaw.synth.generator import DEFAULT_START, MAX_CHILDREN, default_workers, generate
from jigsaw.synth.noise import DEFAULT_MISSING_NHS, NoiseConfig

_DEFAULTS = NoiseConfig()
# (option, NoiseConfig field, what it does); the last two are recording rates, not record noise.
_RATE_OPTIONS: tuple[tuple[str, str, str], ...] = (
    ("--typo-rate", "typo_rate", "a one-letter slip in a name"),
    ("--nickname-rate", "nickname_rate", "a nickname or variant given name, e.g. Pete for Peter"),
    ("--dob-swap-rate", "dob_swap_rate", "day and month of birth swapped where valid"),
    ("--missing-dob-rate", "missing_dob_rate", "no date of birth, outside health"),
    ("--wrong-nhs-rate", "wrong_nhs_rate", "a valid NHS number that is nobody's"),
    ("--old-address-rate", "old_address_rate", "first recorded with an address already left"),
    ("--alt-surname-rate", "alt_surname_rate", "a former, partner's or half a double surname"),
    ("--duplicate-rate", "duplicate_rate", "a second record of one person (hospitals, police)"),
    ("--late-rate", "late_record_rate", "events recorded 2-8 weeks late"),
    ("--correction-rate", "correction_rate", "events re-sent later with corrected details"),
)


def _help(text: str, name: str) -> str:
    return f"{text} (default {getattr(_DEFAULTS, name)})"


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError("a rate must be between 0 and 1")
    return value


def _sector_rate(text: str) -> tuple[str, float]:
    sector, _, value = text.partition("=")
    if sector not in DEFAULT_MISSING_NHS or not value:
        choices = ", ".join(sorted(DEFAULT_MISSING_NHS))
        raise argparse.ArgumentTypeError(f"expected SECTOR=RATE with SECTOR one of {choices}")
    return sector, _rate(value)


def _start(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = "Write a synthetic local authority's agency files (exchange format v1) and ground truth."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--children", type=int, required=True, help="number of children (exact)"
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
        parser.add_argument("--out", type=Path, required=True, help="directory to write into")
        parser.add_argument(
            "--start",
            type=_start,
            default=DEFAULT_START,
            help=f"first day of the three-year window (default {DEFAULT_START.isoformat()})",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=default_workers(),
            help="processes to generate with; the output is the same whatever the number "
            f"(default {default_workers()})",
        )
        noise = parser.add_argument_group("record noise (probabilities per agency person record)")
        noise.add_argument(
            "--noise-scale",
            type=float,
            default=1.0,
            help="multiply every record-noise rate, after the options below (0 = clean; default 1)",
        )
        for flag, name, text in _RATE_OPTIONS[:-2]:
            noise.add_argument(
                flag, type=_rate, default=getattr(_DEFAULTS, name), help=_help(text, name)
            )
        noise.add_argument(
            "--missing-nhs-rate",
            type=_rate,
            default=None,
            help=f"no NHS number, health sector (default {DEFAULT_MISSING_NHS['health']})",
        )
        noise.add_argument(
            "--missing-nhs",
            type=_sector_rate,
            action="append",
            default=[],
            metavar="SECTOR=RATE",
            help="no NHS number, for one sector (repeatable; defaults "
            + ", ".join(f"{k}={v}" for k, v in sorted(DEFAULT_MISSING_NHS.items()))
            + ")",
        )
        timing = parser.add_argument_group("recording (not scaled by --noise-scale)")
        for flag, name, text in _RATE_OPTIONS[-2:]:
            timing.add_argument(
                flag, type=_rate, default=getattr(_DEFAULTS, name), help=_help(text, name)
            )

    def handle(self, *args: Any, **options: Any) -> None:
        children: int = options["children"]
        if not 1 <= children <= MAX_CHILDREN:
            raise CommandError(f"--children must be between 1 and {MAX_CHILDREN}")
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        if options["noise_scale"] < 0:
            raise CommandError("--noise-scale cannot be negative")
        missing = dict(DEFAULT_MISSING_NHS)
        if options["missing_nhs_rate"] is not None:
            missing["health"] = options["missing_nhs_rate"]
        missing.update(dict(options["missing_nhs"]))
        rates = {name: options[flag[2:].replace("-", "_")] for flag, name, _ in _RATE_OPTIONS}
        noise = replace(_DEFAULTS, missing_nhs=missing, **rates).scaled(options["noise_scale"])
        summary = generate(
            children=children,
            seed=options["seed"],
            out=options["out"],
            start=options["start"],
            noise=noise,
            workers=options["workers"],
        )
        write = self.stdout.write
        write(f"Wrote {len(summary.files)} files to {summary.out} in {summary.seconds:.1f} s")
        write(
            f"  {summary.children:,} children in {summary.households:,} households "
            f"({summary.people:,} people)"
        )
        write(
            f"  {summary.person_records:,} person records "
            f"({summary.person_lines:,} lines with later address versions)"
        )
        write(f"  {summary.events:,} events:")
        for code, n in summary.events_by_agency.items():
            write(f"    {code:<5} {n:>10,} events {summary.records_by_agency[code]:>9,} records")
        planted = ", ".join(f"{k} {v}" for k, v in summary.trajectories.items())
        write(f"  planted trajectories: {planted}")
