"""The seams of `tierline.validation`: it imports nothing from the pipeline, compiler, kernels or tools,
and it is the only part of tierline that imports Great Expectations."""

from __future__ import annotations

import ast
from pathlib import Path

import tierline

PACKAGE = Path(tierline.__file__).parent


def imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
    return found


def test_validation_imports_only_the_scorecard_language_and_errors_of_tierline() -> None:
    for path in (PACKAGE / "validation").rglob("*.py"):
        ours = {name for name in imported_modules(path) if name.split(".")[0] == "tierline"}
        outside = {name for name in ours if (name.split(".") + [""])[1] not in ("validation", "scorecard", "errors")}
        assert not outside, f"{path.relative_to(PACKAGE)} imports {sorted(outside)}"


def test_only_validation_imports_great_expectations() -> None:
    for path in PACKAGE.rglob("*.py"):
        if "validation" in path.relative_to(PACKAGE).parts[:1]:
            continue
        gx = {name for name in imported_modules(path) if name.split(".")[0] == "great_expectations"}
        assert not gx, f"{path.relative_to(PACKAGE)} imports {sorted(gx)}"
