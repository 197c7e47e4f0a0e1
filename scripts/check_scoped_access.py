"""Fail when a view or API module reads models directly instead of through a selector.

Need-to-know and audit live in selectors; a view that touches `Model.objects` bypasses both.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "jigsaw"
GUARDED = ("views.py", "api.py")


def offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    return [
        f"{path.relative_to(ROOT.parent)}:{node.lineno}: uses .objects; call a selector or service"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "objects"
    ]


def main() -> int:
    found = [o for name in GUARDED for path in sorted(ROOT.rglob(name)) for o in offences(path)]
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
