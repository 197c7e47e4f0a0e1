"""The CI check that views and API handlers read case data only through selectors."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "check_scoped_access.py"


@pytest.fixture(scope="module")
def check() -> ModuleType:
    spec = importlib.util.spec_from_file_location("check_scoped_access", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def project(tmp_path: Path):
    """A throwaway `jigsaw/` tree: write(relative path, source) adds a module to it."""
    root = tmp_path / "jigsaw"

    def write(relative: str, source: str) -> Path:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
        return path

    write("casework/selectors.py", "def f():\n    return Person.objects.all()\n")  # allowed
    write("casework/tests/test_x.py", "Person.objects.create()\n")  # tests are not guarded
    write("casework/views/__init__.py", "")
    write("casework/views/child.py", "def child(request):\n    return render(request)\n")
    write("records/api.py", "def batches(request):\n    return batch_ingest()\n")
    write("records/views.py", "def agencies(request):\n    return agency_summaries()\n")
    return root, write


def test_the_project_as_it_stands_passes(check: ModuleType) -> None:
    assert check.main() == 0
    guarded = {str(p.relative_to(check.ROOT)) for p in check.guarded(check.ROOT)}
    assert {"casework/views/child.py", "identity/views.py", "risk/api.py"} <= guarded


def test_a_clean_tree_passes(check: ModuleType, project) -> None:
    root, _ = project
    assert check.main(root) == 0


def test_objects_in_a_views_package_fails_the_build(check: ModuleType, project, capsys) -> None:
    root, write = project
    write(
        "casework/views/child.py",
        "def child(request, pk):\n    return Person.objects.get(pk=pk)\n",
    )

    assert check.main(root) == 1
    assert capsys.readouterr().out.splitlines() == [
        "jigsaw/casework/views/child.py:2: uses .objects; call a selector or service"
    ]


@pytest.mark.parametrize(
    ("source", "what"),
    [
        ("Flag._default_manager.all()", "uses ._default_manager"),
        ("Flag._base_manager.all()", "uses ._base_manager"),
        ("Flag.objects.raw('SELECT 1')", "uses .objects"),
        ("manager.raw('SELECT * FROM risk_flag')", "runs raw SQL (raw)"),
        ("connection.cursor()", "opens a database cursor (cursor)"),
        ("connections['default'].cursor()", "opens a database cursor (cursor)"),
        ("get_object_or_404(Flag, pk=1)", "queries a model (get_object_or_404)"),
        # A related manager is no model's `.objects`, but its queries give it away.
        ("item.decisions.order_by('id').first()", "queries the database (order_by)"),
        ("person.links.filter(record=1)", "queries the database (filter)"),
    ],
)
def test_every_way_round_a_selector_is_refused(
    check: ModuleType, project, source: str, what: str
) -> None:
    root, write = project
    path = write("risk/api.py", f"def flag(request):\n    return {source}\n")

    found = check.offences(path, root=root)

    assert f"jigsaw/risk/api.py:2: {what}; call a selector or service" in found
    assert check.main(root) == 1
