"""Every notebook in ``notebooks/`` is executed (not just parsed) against the harness servers.

The kernel (ipykernel, through nbclient) inherits an environment naming the real servers the
way a user's would: ``VLLM_URL``/``VLLM_MODEL``, ``OPENAI_BASE_URL`` (llama.cpp),
``OLLAMA_HOST``/``OLLAMA_MODEL``, and the embeddings servers; plus the harness's own
``LLMSWITCH_TEST_*`` variables. A cell that raises fails the test. Outputs are not written
back (git keeps notebooks stripped: see tests/unit_tests/test_notebooks_stripped.py).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from langchain_llmswitch.config import LLMSwitchSettings, env_names

from .conftest import BACKENDS

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 600


def _server_environment() -> dict[str, str]:
    import harness  # noqa: PLC0415 - live only

    names = sorted({spec[role] for spec in BACKENDS.values() for role in ("chat", "embed")})
    infos = harness.ensure_started(names)
    environment = {
        "VLLM_URL": infos["vllm-chat"].openai_url,
        "VLLM_MODEL": BACKENDS["vllm"]["chat_model"],
        "VLLM_EMBEDDINGS_URL": infos["vllm-embed"].openai_url,
        "VLLM_EMBEDDINGS_MODEL": BACKENDS["vllm"]["embed_model"],
        "OPENAI_BASE_URL": infos["llamacpp-chat"].openai_url,
        "OLLAMA_HOST": infos["ollama"].base_url,
        "OLLAMA_MODEL": BACKENDS["ollama"]["chat_model"],
        "OLLAMA_EMBEDDING_MODEL": BACKENDS["ollama"]["embed_model"],
    }
    for name, info in infos.items():
        key = name.upper().replace("-", "_")
        environment[f"LLMSWITCH_TEST_{key}_URL"] = info.openai_url
        environment[f"LLMSWITCH_TEST_{key}_MODEL"] = info.model
    return environment


@pytest.mark.live
@pytest.mark.timeout(1800)
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.name for path in NOTEBOOKS])
def test_notebook_runs(notebook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nbformat  # noqa: PLC0415 - test extra, live only
    from nbclient import NotebookClient  # noqa: PLC0415

    for field in LLMSwitchSettings.model_fields.values():
        for name in env_names(field):  # only the variables set below name the servers
            monkeypatch.delenv(name, raising=False)
    for name, value in _server_environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LLMSWITCH_ENV_FILE", os.devnull)

    document = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        document,
        timeout=CELL_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    client.execute()
    code_cells = [cell for cell in document.cells if cell.cell_type == "code"]
    assert code_cells, f"{notebook.name} has no code"
    assert all(cell.execution_count for cell in code_cells)
    errors = [out for cell in code_cells for out in cell.outputs if out.output_type == "error"]
    assert not errors
