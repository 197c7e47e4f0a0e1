from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections

from jigsaw.risk.services import flags_tick

log = logging.getLogger("jigsaw.risk.worker")


class Command(BaseCommand):
    help = "Run the risk rules every minute (time-based flags, escalations) until stopped."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="one tick, then exit")
        parser.add_argument(
            "--interval",
            type=float,
            default=60.0,
            metavar="SECONDS",
            help="seconds between ticks (default 60)",
        )

    def handle(self, *args: Any, once: bool, interval: float, **options: Any) -> None:
        stop = threading.Event()

        def request_stop(signum: int, _frame: Any) -> None:
            # Finish the tick under way (it is one transaction), then leave.
            log.info("signal %s: stopping after this tick", signum)
            stop.set()

        previous = {
            sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)
        }
        try:
            while not stop.is_set():
                try:
                    report = flags_tick()
                except Exception:  # a bad tick must not stop the service; the next one retries
                    log.exception("risk tick failed")
                    if once:
                        raise
                else:
                    self.stdout.write(
                        f"tick: {report.children} children, {report.flags_raised} raised, "
                        f"{report.revisions} revised, {report.escalations} escalations"
                    )
                if once:
                    break
                stop.wait(interval)
                # A connection idle for a minute may have gone away: start the tick afresh.
                close_old_connections()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
