"""Fail when a view or API module reads models directly instead of through a selector.

Need-to-know and audit live in selectors; a view that reaches the database itself bypasses
both. Guarded: every `views.py` and `api.py`, and every module of a `views/` package. Refused
in them: a model's managers (`.objects`, `._default_manager`, `._base_manager`), raw SQL
(`.raw(…)`, a database cursor), the shortcuts that query a model they are handed
(`get_object_or_404`, `get_list_or_404`), and the query methods only a queryset has, which is
how a related manager (`item.decisions.order_by(…)`) reads round a selector.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "jigsaw"
GUARDED_FILES = ("views.py", "api.py")
MANAGERS = {"objects", "_default_manager", "_base_manager"}
QUERIES = ("filter", "exclude", "order_by", "select_related", "prefetch_related", "values_list",
           "annotate", "aggregate", "in_bulk", "extra")  # fmt: skip
CALLS = {
    "raw": "runs raw SQL",
    "cursor": "opens a database cursor",
    "get_object_or_404": "queries a model",
    "get_list_or_404": "queries a model",
    **dict.fromkeys(QUERIES, "queries the database"),
}


def guarded(root: Path) -> Iterator[Path]:
    """The view and API modules under `root` (tests excluded), in a stable order."""
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).parts
        if "tests" in parts:
            continue
        if path.name in GUARDED_FILES or "views" in parts[:-1]:
            yield path


def _called_name(node: ast.Call) -> str:
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    if isinstance(node.func, ast.Name):
        return node.func.id
    return ""


def offences(path: Path, *, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    where = path.relative_to(root.parent)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            found.append((node.lineno, f"uses .{node.attr}"))
        elif isinstance(node, ast.Call) and _called_name(node) in CALLS:
            found.append((node.lineno, f"{CALLS[_called_name(node)]} ({_called_name(node)})"))
    return [f"{where}:{line}: {what}; call a selector or service" for line, what in sorted(found)]


def main(root: Path = ROOT) -> int:
    found = [o for path in guarded(root) for o in offences(path, root=root)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
