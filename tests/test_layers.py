"""The layers import only downward (README.md, "Development"):

    dora (command line)  ->  orchestration  ->  dlt_sources, dora.dashboard  ->  dora.core

simorg (the simulated org) stands apart: only the command line (`dora demo`), bench and tests use
it. A module importing a layer above its own fails here, naming the file, line and import.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# package -> the project packages its modules may import (itself always)
ALLOWED = {
    "dora.core": set(),
    "dlt_sources": {"dora.core"},
    "dora.dashboard": {"dora.core"},
    "simorg": set(),
    "orchestration": {"dora.core", "dora.dashboard", "dlt_sources"},
    "dora": {"dora.core", "dora.dashboard", "dlt_sources", "orchestration", "simorg"},
}
PROJECT_PACKAGES = ("dora", "dlt_sources", "orchestration", "simorg", "bench")


def package_of(module: str) -> str | None:
    """The most specific package of ALLOWED a dotted module name belongs to."""
    matches = [p for p in ALLOWED if module == p or module.startswith(p + ".")]
    return max(matches, key=len) if matches else None


def project_imports(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import of a project package in one file, nested ones included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [(node.lineno, name) for name in names if name.split(".")[0] in PROJECT_PACKAGES]
    return found


def test_every_module_imports_only_its_own_layer_and_those_below():
    violations = []
    checked = 0
    for path in sorted(ROOT.glob("*/**/*.py")):
        relative = path.relative_to(ROOT)
        own = package_of(".".join(relative.with_suffix("").parts))
        if own is None:
            continue  # tests/, bench/: may import anything
        checked += 1
        for line, name in project_imports(path):
            target = package_of(name)
            if target and target != own and target not in ALLOWED[own]:
                violations.append(f"{relative}:{line} imports {name} ({own} may import {sorted(ALLOWED[own]) or 'nothing of the project'})")
    assert checked > 40, f"only {checked} modules checked: the walk over the checkout is broken"
    assert violations == []


def test_the_check_catches_an_upward_import(tmp_path):
    module = tmp_path / "m.py"
    module.write_text("import os\nfrom orchestration.definitions import defs\n\ndef f():\n    from dora.core import home\n")
    assert project_imports(module) == [
        (2, "orchestration.definitions"),
        (2, "orchestration.definitions.defs"),
        (5, "dora.core"),
        (5, "dora.core.home"),
    ]
    assert package_of("orchestration.definitions.defs") == "orchestration"
    assert "orchestration" not in ALLOWED[package_of("dora.core.home")]
