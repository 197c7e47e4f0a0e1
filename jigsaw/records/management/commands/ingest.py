from __future__ import annotations

import subprocess
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from jigsaw.records.hooks import bulk_load
from jigsaw.records.services import batch_ingest, file_sha256, jsonl_source


class Command(BaseCommand):
    help = "Ingest exchange-format JSON Lines files (plain or .gz), each all or nothing."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--json", action="store_true", help="print each file's report as JSON")
        parser.add_argument(
            "--jobs",
            type=int,
            default=1,
            metavar="N",
            help="PostgreSQL: store up to N files at once, one agency's files at a time "
            "(SQLite has one writer: files are always stored one after another)",
        )

    def handle(self, *args: Any, files: list[Path], json: bool, jobs: int, **options: Any) -> None:
        for path in files:
            if not path.is_file():
                raise CommandError(f"{path}: no such file")
        if jobs > 1 and len(files) > 1 and connection.vendor == "postgresql":
            self._parallel(files, jobs, json)
            return
        # Linking and re-evaluation run once, after all the files are stored.
        with bulk_load():
            failed = self._each(files, json)
        if failed:
            sys.exit(1)

    def _each(self, files: list[Path], json: bool) -> int:
        """Store each file; how many were rejected."""
        failed = 0
        for path in files:
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
        return failed

    def _parallel(self, files: list[Path], jobs: int, json: bool) -> None:
        """Split the files into `jobs` groups of about equal size, each stored by its own
        process; each file is still one all-or-nothing batch."""
        groups: list[list[Path]] = [[] for _ in range(min(jobs, len(files)))]
        sizes = [0] * len(groups)
        for path in sorted(files, key=lambda p: p.stat().st_size, reverse=True):
            smallest = sizes.index(min(sizes))
            groups[smallest].append(path)
            sizes[smallest] += path.stat().st_size
        command = [sys.executable, "-m", "jigsaw.cli", "ingest"] + (["--json"] if json else [])
        children = [
            subprocess.Popen([*command, *map(str, group)], stdout=subprocess.PIPE, text=True)
            for group in groups
        ]
        failed = False
        for child in children:
            out, _ = child.communicate()
            self.stdout.write(out, ending="")
            failed = failed or child.returncode != 0
        if failed:
            sys.exit(1)
