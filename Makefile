PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PYTEST := $(PY) -m pytest

.PHONY: venv test test-unit test-replay test-live lint record servers servers-stop servers-status demo bench-import

# One virtual environment in the checkout, with the package and every test/lint tool.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,lint]'
	touch $@

venv: $(VENV)/.installed

## The fast suite (no server, no network): unit tests with sockets disabled, then the
## integration tests replayed from the recorded cassettes.
test: test-unit test-replay

test-unit: venv
	$(PYTEST) tests/unit_tests --disable-socket --allow-unix-socket

test-replay: venv
	$(PYTEST) tests/integration_tests --record-mode=none -m "not live"

## The live suite: every integration test against the real servers (vLLM CPU build,
## llama.cpp, Ollama-API proxy), started by the harness when not running.
test-live: venv
	$(PYTEST) tests/integration_tests --live --disable-recording

## Re-record every cassette from the real servers (scrubbed on the way in).
record: venv
	$(PYTEST) tests/integration_tests -m "not live" --live --record-mode=rewrite

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy

## The main job: `llmswitch demo` on a local llama.cpp server the harness builds and starts
## (SmolLM2-135M chat + MiniLM embeddings from PyPI packages). Stop it with `make servers-stop`.
demo: venv
	$(PY) -m harness start llamacpp-chat llamacpp-embed
	@eval "$$($(PY) -m harness env)"; \
	LLM_PROVIDER=openai \
	LLM_BASE_URL="$$LLMSWITCH_TEST_LLAMACPP_CHAT_URL" LLM_MODEL="$$LLMSWITCH_TEST_LLAMACPP_CHAT_MODEL" \
	EMBEDDINGS_BASE_URL="$$LLMSWITCH_TEST_LLAMACPP_EMBED_URL" \
	EMBEDDINGS_MODEL="$$LLMSWITCH_TEST_LLAMACPP_EMBED_MODEL" \
	$(VENV)/bin/llmswitch demo

# Real inference servers (built into $$LLMSWITCH_CACHE_DIR or ~/.cache/langchain-llmswitch).
servers: venv
	$(PY) -m harness start

servers-stop: venv
	$(PY) -m harness stop

servers-status: venv
	$(PY) -m harness status
