"""The fault matrix: one failure raises one package error on every backend and call style.

Runs without a real server (a closed port and the fault proxy make each fault), so it is
part of the fast suite; the failures that need a real server (killed, stalled mid-stream)
are in test_faults.py. The table of docs/reliability.md is rendered from these results.
"""

from __future__ import annotations

import pytest

from langchain_llmswitch import errors

from ..tooling import fault_matrix
from ..tooling.fault_matrix import CASES, TIMEOUT, Cell

EXPECTED = {case.name: case for case in CASES}


@pytest.fixture(scope="module")
def matrix() -> list[Cell]:
    return fault_matrix.run_matrix()


def test_every_cell_raises_the_package_error_of_its_failure(matrix: list[Cell]) -> None:
    wrong = [
        f"{c.case} {c.provider} {c.style}: {c.cls}: {c.message[:200]}"
        for c in matrix
        if c.cls != EXPECTED[c.case].expected
    ]
    assert wrong == [], "\n".join(wrong)


def test_every_error_names_the_server_and_keeps_the_cause(matrix: list[Cell]) -> None:
    for cell in matrix:
        error = cell.error
        assert isinstance(error, errors.ServerError), cell
        assert error.provider == cell.provider, cell
        assert error.url.startswith("http://127.0.0.1:"), cell
        assert f"{cell.provider} at http://127.0.0.1:" in str(error), cell
        assert error.check, cell
        assert error.check in str(error), cell
        if cell.cls != "MalformedResponseError":  # those may be found by the package itself
            assert error.__cause__ is not None, cell


def test_the_standard_classes_catch_them(matrix: list[Cell]) -> None:
    standard = {
        "ServerTimeoutError": TimeoutError,
        "ServerConnectionError": ConnectionError,
        "MalformedResponseError": ValueError,
    }
    for cell in matrix:
        wanted = standard.get(cell.cls)
        if wanted is not None:
            assert isinstance(cell.error, wanted), cell


def test_each_failure_ends_in_its_time(matrix: list[Cell]) -> None:
    """A stall takes the timeout, once (timeouts are not retried); the others come at once.
    Bounds with room for a loaded machine."""
    for cell in matrix:
        if EXPECTED[cell.case].slow:
            assert TIMEOUT * 0.95 <= cell.elapsed <= TIMEOUT + 3, cell
        else:  # typically 0.01-0.6 s (one retry, with backoff); 3.1 s seen under heavy load
            assert cell.elapsed < 6, cell


def test_the_docs_table_is_the_matrix(matrix: list[Cell]) -> None:
    assert fault_matrix.page_table() == fault_matrix.render(matrix), (
        "docs/reliability.md is stale: run `.venv/bin/python -m tests.tooling.fault_matrix --write`"
    )
