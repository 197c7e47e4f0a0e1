"""The `jigsaw` command: every user-facing task as a subcommand (Django management commands)."""

from __future__ import annotations

import os
import sys

# Subcommands users run, in the order `jigsaw --help` lists them. Each maps to a management
# command whose own `help` is the one-line description.
COMMANDS: dict[str, str] = {
    "migrate": "migrate",
    "ingest": "ingest",
    "chronology": "chronology",
    "household": "household",
    "linkage": "linkage",
    "flags": "flags",
    "tick": "tick",
    "worker": "worker",
    "replay": "replay",
    "synth": "synth",
    "demo": "demo",
    "token": "token",
    "user": "user",
    "audit": "audit",
    "serve": "serve",
}

_OWN_HELP = {"migrate": "Bring the database named by DATABASE_URL to the current schema."}


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "jigsaw.config.settings.base")
    import django

    django.setup()


def _overview() -> str:
    from django.core.management import get_commands, load_command_class

    known = get_commands()
    lines = [
        "usage: jigsaw COMMAND [options]",
        "",
        "Jigsaw: one picture of each child from every agency's records.",
        "The database is DATABASE_URL (default: jigsaw.sqlite3 in this directory).",
        "",
        "commands:",
    ]
    for name, command in COMMANDS.items():
        summary = _OWN_HELP.get(name)
        if summary is None:
            summary = load_command_class(known[command], command).help.strip().splitlines()[0]
        lines.append(f"  {name:<12} {summary}")
    lines += ["", "`jigsaw COMMAND --help` shows a command's options."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    _setup()
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_overview())
        return 0
    name, rest = args[0], args[1:]
    if name not in COMMANDS:
        print(f"jigsaw: '{name}' is not a command\n", file=sys.stderr)
        print(_overview(), file=sys.stderr)
        return 2
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["jigsaw", COMMANDS[name], *rest])
    utility.prog_name = "jigsaw"
    try:
        utility.execute()
    except SystemExit as exit_:
        return int(exit_.code or 0) if isinstance(exit_.code, int | None) else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
