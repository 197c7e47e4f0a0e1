from __future__ import annotations

import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from jigsaw.records.services import batch_ingest, file_sha256, jsonl_source


class Command(BaseCommand):
    help = "Ingest exchange-format JSON Lines files (plain or .gz), each all or nothing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--json", action="store_true", help="print each file's report as JSON")

    def handle(self, *args: Any, files: list[Path], json: bool, **options: Any) -> None:
        failed = 0
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
            try:
                report = batch_ingest(
                    source=jsonl_source(path),
                    channel="file",
                    source_name=str(path),
                    sha256=file_sha256(path),
                )
            except (OSError, EOFError) as exc:  # not gzip after all, truncated, unreadable
                self.stderr.write(f"{path}: rejected, nothing stored: cannot be read: {exc}")
                failed += 1
                continue
            if json:
                self.stdout.write(orjson.dumps({"file": str(path), **report.as_dict()}).decode())
            elif report.accepted:
                self.stdout.write(
                    f"{path}: accepted: {report.new} new, {report.unchanged} unchanged, "
                    f"{report.superseded} superseded"
                )
            else:
                self.stderr.write(
                    f"{path}: rejected, nothing stored: {report.error_count} error(s)"
                )
                for error in report.errors:
                    self.stderr.write(f"  line {error.position}: {error.path}: {error.message}")
                if report.error_count > len(report.errors):
                    self.stderr.write(f"  … and {report.error_count - len(report.errors)} more")
            if not report.accepted:
                failed += 1
        if failed:
            sys.exit(1)
