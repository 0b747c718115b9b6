"""The layering of the code, checked: imports only ever point down.

    komitmen/     entry points: the CLI, the worker, the embedded dev server
    api/          the JSON API (routes/) and the pages (pages/): parse, call a service, render
    services/     what the front doors share; the only caller of db and Temporal for them
    workflows/    Temporal orchestration (activities by name)
    activities/   the workflows' I/O: recording, mail
    mailing/      mail rendered and delivered, for activities and services alike
    evidence/     evidence files judged by content, photos' copies, blobs kept by hash
    db/           models, sessions, queries
    domain/       pure rules, nothing of ours below it

Besides: a page never imports a route module (nor a route a page), and no module
imports another module's private name (`_name`). The checker reads the source with
`ast`, so it sees imports inside functions too; it is itself tested on a planted
violation of each kind.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "domain",
    "db",
    "evidence",
    "mailing",
    "activities",
    "workflows",
    "services",
    "api",
    "komitmen",
)

MAY_IMPORT: dict[str, set[str]] = {
    "domain": set(),
    "db": {"domain"},
    "evidence": {"domain", "db"},
    "mailing": {"domain"},
    "activities": {"domain", "db", "evidence", "mailing"},
    "workflows": {"domain", "activities"},
    "services": {"domain", "db", "evidence", "mailing", "workflows"},
    "api": {"domain", "services"},
    "komitmen": {"domain", "services", "api"},
}
"""Which of our packages each package may import (besides itself)."""

PROCESS_ENTRY_POINTS = {
    "komitmen/worker.py": {"workflows", "activities", "mailing", "db"},
    "komitmen/devserver.py": {"workflows"},
}
"""Processes that host the lower layers themselves: the worker runs workflows and activities."""

APART = (("api/pages/", "api.routes"), ("api/routes/", "api.pages"))
"""(a folder, a package its modules never import): pages and routes stand side by side."""


@dataclass(frozen=True)
class Violation:
    """One import that breaks the layering."""

    path: str
    line: int
    imported: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: imports {self.imported}: {self.why}"


def _imports(tree: ast.AST) -> Iterator[tuple[int, str, list[str]]]:
    """Each absolute import: its line, the module, and the names taken from it."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module, [alias.name for alias in node.names]


def violations(root: Path) -> list[Violation]:
    """Every import under `root` that points up, sideways between pages and routes, or
    at another module's private name."""
    found = []
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            if relative.startswith("db/migrations/"):
                continue  # migrations are frozen history, not a layer
            allowed = MAY_IMPORT[package] | PROCESS_ENTRY_POINTS.get(relative, set())
            own_module = relative.removesuffix(".py").replace("/", ".")
            for line, module, names in _imports(ast.parse(path.read_text(), relative)):
                top = module.split(".")[0]
                if top in PACKAGES and top != package and top not in allowed:
                    why = f"{package}/ may import only {sorted(allowed) or 'nothing of ours'}"
                    found.append(Violation(relative, line, module, why))
                for folder, apart in APART:
                    if relative.startswith(folder) and (module + ".").startswith(apart + "."):
                        why = f"modules in {folder} never import {apart}"
                        found.append(Violation(relative, line, module, why))
                private = [n for n in names if n.startswith("_") and not n.startswith("__")]
                if private and top in PACKAGES and module != own_module:
                    why = f"takes the private {', '.join(private)} of another module"
                    found.append(Violation(relative, line, module, why))
    return found


def test_imports_only_point_down() -> None:
    assert [str(v) for v in violations(ROOT)] == []


PLANTED = {
    "domain/rules.py": ("from db import models\n", "domain/ may import only nothing of ours"),
    "db/reads.py": ("from services import access\n", "db/ may import only ['domain']"),
    "evidence/store.py": ("from services import evidence\n", "evidence/ may import only"),
    "services/x.py": ("def f():\n    import api.app\n", "services/ may import only"),
    "api/pages/board.py": ("from api.routes.overdue import router\n", "never import api.routes"),
    "api/routes/cycles.py": ("import api.pages.base\n", "never import api.pages"),
    "api/deps.py": ("from db.session import transaction\n", "api/ may import only"),
    "komitmen/cli/show.py": ("from db import reads\n", "komitmen/ may import only"),
    "api/pages/forms.py": ("from services.overdue import _owing\n", "private _owing"),
}


@pytest.mark.parametrize("path", sorted(PLANTED))
def test_the_checker_finds_a_planted_violation(tmp_path: Path, path: str) -> None:
    source, why = PLANTED[path]
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    planted = tmp_path / path
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_text(source)
    found = violations(tmp_path)
    assert len(found) == 1 and found[0].path == path and why in found[0].why, found


def test_the_worker_may_host_the_lower_layers(tmp_path: Path) -> None:
    for package in PACKAGES:
        (tmp_path / package).mkdir()
    (tmp_path / "komitmen/worker.py").write_text("from workflows.cycle import CycleWorkflow\n")
    (tmp_path / "komitmen/cli.py").write_text("from workflows.cycle import CycleWorkflow\n")
    assert [v.path for v in violations(tmp_path)] == ["komitmen/cli.py"]
