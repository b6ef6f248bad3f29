"""Notebooks are kept in git without outputs or execution counts (they run in CI instead)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks() -> None:
    assert any(path.name == "provider_tour.ipynb" for path in NOTEBOOKS)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_is_stripped(notebook: Path) -> None:
    document = json.loads(notebook.read_text())
    assert document["nbformat"] == 4
    for index, cell in enumerate(document["cells"]):
        if cell["cell_type"] != "code":
            continue
        assert cell.get("outputs") == [], f"cell {index} of {notebook.name} has outputs"
        assert cell.get("execution_count") is None, f"cell {index} has an execution count"
