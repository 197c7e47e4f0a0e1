from __future__ import annotations

import getpass
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

import orjson
from django.core.management.base import BaseCommand, CommandError

from jigsaw.core.clock import clock
from jigsaw.core.dates import uk_date
from jigsaw.identity.linking import stored_model
from jigsaw.identity.matching import dedupe_csv
from jigsaw.identity.models import ReviewItem
from jigsaw.identity.presenters import ignored_values, review_lines
from jigsaw.identity.selectors import (
    decision_get,
    person_get,
    record_get,
    review_item_get,
    review_queue,
)
from jigsaw.identity.services import (
    Actor,
    IdentityError,
    link_confirm,
    link_reject,
    linkage_relink,
    linkage_train,
    person_merge,
    person_unmerge,
)
from jigsaw.records.selectors import RecordNotFound, parse_record_ref


class Command(BaseCommand):
    help = "Link agencies' records to persons: review, confirm, reject, merge, unmerge, train."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        def decision(name: str, text: str) -> ArgumentParser:
            p = sub.add_parser(name, help=text, description=text)
            p.add_argument("--reason", required=True, help="why (recorded with the decision)")
            p.add_argument("--actor", help="who decides (default: your login name)")
            return p

        review = sub.add_parser("review", help="list the review queue, strongest first")
        review.add_argument("--limit", type=int, default=20)
        review.add_argument("--json", action="store_true")
        confirm = decision("confirm", "confirm that a record is a person")
        confirm.add_argument("record", metavar="AGENCY:LOCAL_ID")
        confirm.add_argument("person", metavar="PERSON")
        confirm.add_argument("--review", metavar="ITEM", help="the review item this resolves")
        reject = decision("reject", "say two records are not the same person")
        reject.add_argument("record_a", metavar="AGENCY:LOCAL_ID")
        reject.add_argument("record_b", metavar="AGENCY:LOCAL_ID")
        reject.add_argument("--review", metavar="ITEM", help="the review item this resolves")
        merge = decision("merge", "merge person A into person B")
        merge.add_argument("person_a", metavar="PERSON_A")
        merge.add_argument("person_b", metavar="PERSON_B")
        unmerge = decision("unmerge", "undo a merge decision")
        unmerge.add_argument("decision", metavar="DECISION")
        train = sub.add_parser(
            "train",
            help="train the matcher on every record and store it",
            description="Train the matcher on every record's latest version and store it. "
            "The thresholds are kept from the last stored model unless given; "
            "JIGSAW_LINK_AUTO_THRESHOLD and JIGSAW_LINK_REVIEW_THRESHOLD override them.",
        )
        train.add_argument(
            "--auto-link",
            type=float,
            metavar="WEIGHT",
            help="match weight at or above which records are linked without review (default 6)",
        )
        train.add_argument(
            "--review",
            type=float,
            metavar="WEIGHT",
            help="match weight at or above which a pair goes to review (default -4)",
        )
        sub.add_parser("relink", help="link every record again (people's decisions hold)")
        dedupe = sub.add_parser("dedupe", help="de-duplicate a CSV of person records")
        dedupe.add_argument("input", type=Path, metavar="INPUT.csv")
        dedupe.add_argument("output", type=Path, metavar="OUTPUT.csv")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        try:
            getattr(self, f"_{action}")(**options)
        except (IdentityError, RecordNotFound, ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc

    def _actor(self, options: dict[str, Any]) -> Actor:
        return Actor(name=options.get("actor") or getpass.getuser())

    def _record(self, ref: str) -> Any:
        agency, local_id = parse_record_ref(ref)
        return record_get(agency=agency, local_id=local_id, user=None)

    def _item(self, options: dict[str, Any]) -> ReviewItem | None:
        item = options.get("review")
        return review_item_get(item_id=item, user=None) if item else None

    def _review(self, *, limit: int, json: bool, **_: Any) -> None:
        queue = review_queue(user=None, limit=limit)
        if json:
            self.stdout.write(
                orjson.dumps([v.as_dict() for v in queue], option=orjson.OPT_INDENT_2).decode()
            )
            return
        if not queue:
            self.stdout.write("Nothing to review.")
        for view in queue:
            self.stdout.write("\n".join(review_lines(view)) + "\n")

    def _confirm(self, **options: Any) -> None:
        decision = link_confirm(
            record=self._record(options["record"]),
            person=person_get(person_id=options["person"], user=None),
            actor=self._actor(options),
            reason=options["reason"],
            review_item=self._item(options),
        )
        self.stdout.write(
            f"Decision {decision.pk}: {options['record']} confirmed as person {options['person']}"
        )

    def _reject(self, **options: Any) -> None:
        decision = link_reject(
            record_a=self._record(options["record_a"]),
            record_b=self._record(options["record_b"]),
            actor=self._actor(options),
            reason=options["reason"],
            review_item=self._item(options),
        )
        self.stdout.write(
            f"Decision {decision.pk}: {options['record_a']} and {options['record_b']} are "
            "different people"
        )

    def _merge(self, **options: Any) -> None:
        decision = person_merge(
            person_a=person_get(person_id=options["person_a"], user=None),
            person_b=person_get(person_id=options["person_b"], user=None),
            actor=self._actor(options),
            reason=options["reason"],
        )
        moved = sum(1 for e in decision.snapshot["before"] if e["person"] == decision.person_a_id)
        self.stdout.write(
            f"Decision {decision.pk}: person {options['person_a']} merged into person "
            f"{options['person_b']} ({moved} record(s) moved). "
            f"Undo with: jigsaw linkage unmerge {decision.pk} --reason ..."
        )

    def _unmerge(self, **options: Any) -> None:
        decision = person_unmerge(
            decision=decision_get(decision_id=options["decision"], user=None),
            actor=self._actor(options),
            reason=options["reason"],
        )
        self.stdout.write(
            f"Decision {decision.pk}: merge {options['decision']} undone; "
            f"{sum(len(g) for g in decision.snapshot['groups'].values())} record(s) restored"
        )

    def _train(self, *, auto_link: float | None, review: float | None, **_: Any) -> None:
        stored = linkage_train(auto_link=auto_link, review=review)
        trained = stored.parameters.get("trained_on", {})
        thresholds = stored.parameters["thresholds"]
        self.stdout.write(
            f"Trained on {stored.record_count} records "
            f"({trained.get('candidate_pairs', 0)} candidate pairs); used from now on. "
            f"Auto-link at match weight {thresholds['auto_link']:g} or more, review at "
            f"{thresholds['review']:g} or more."
        )
        in_force = stored_model().model.thresholds
        if (in_force.auto_link, in_force.review) != (
            thresholds["auto_link"],
            thresholds["review"],
        ):
            self.stdout.write(
                f"The environment overrides them: auto-link at {in_force.auto_link:g}, "
                f"review at {in_force.review:g} (JIGSAW_LINK_AUTO_THRESHOLD, "
                "JIGSAW_LINK_REVIEW_THRESHOLD)."
            )

    def _relink(self, **_: Any) -> None:
        report = linkage_relink()
        links = ", ".join(f"{n} {m}" for m, n in sorted(report.links.items())) or "none"
        self.stdout.write(
            f"Relinked {report.records} records in {report.seconds:.1f} s: {report.moved} moved, "
            f"{report.new_persons} new persons, new links: {links}; "
            f"{report.reviews} new review items, {report.refused} links refused."
        )

    def _dedupe(self, *, input: Path, output: Path, **_: Any) -> None:
        if not input.is_file():
            raise CommandError(f"{input}: no such file")
        summary = dedupe_csv(input, output, today=uk_date(clock.now()))
        for note in summary.notes:
            self.stderr.write(f"Warning: {note}")
        self.stdout.write(
            f"{summary.records} records -> {summary.clusters} persons in {summary.seconds} s "
            f"({summary.auto_links} automatic links, {summary.review_pairs} pairs to review, "
            f"{summary.refused_links} links refused, {summary.candidate_pairs} candidate pairs)"
        )
        if summary.warnings:
            self.stderr.write(f"Warning: values ignored as unusable: {ignored_values(summary)}")
        self.stdout.write(f"Written: {output}")
