#!/usr/bin/env bash
# The benchmark of the README's "Benchmark" section: docs/bench.json and docs/bench.png.
# Starts the harness servers it needs (built into the cache on first use), then runs
# `llmswitch bench` twice, merged into one report: vLLM (chat at 1..16 concurrent, embeddings of
# 5,000 texts), then llama.cpp chat with 4 slots and with 1 slot (fewer levels and requests, no
# embeddings: on the shared, loaded 2-core machine llama-server decoded at 2-9 tokens/s and
# embedded ~9 texts/s), plus the client-overhead measurement.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m harness start vllm-chat vllm-embed llamacpp-chat llamacpp-chat-1slot
eval "$("$PY" -m harness env)"
vllm_json=$(mktemp --suffix=.json)
trap 'rm -f "$vllm_json"' EXIT
"$PY" -m langchain_llmswitch.cli bench \
  --target "vllm=vllm,chat_url=$LLMSWITCH_TEST_VLLM_CHAT_URL,chat_model=smollm2-135m,embed_url=$LLMSWITCH_TEST_VLLM_EMBED_URL,embed_model=all-MiniLM-L6-v2" \
  --concurrency 1,2,4,8,16 --requests 8 --repeat 2 --warmup 1 --max-tokens 16 --seed 0 \
  --texts 5000 --batch-size 64 --embeddings-concurrency 1,4 --json "$vllm_json"
"$PY" -m langchain_llmswitch.cli bench \
  --target "llamacpp-4slots=openai,chat_url=$LLMSWITCH_TEST_LLAMACPP_CHAT_URL,chat_model=smollm2" \
  --target "llamacpp-1slot=openai,chat_url=$LLMSWITCH_TEST_LLAMACPP_CHAT_1SLOT_URL,chat_model=smollm2" \
  --workloads chat --concurrency 1,4 --requests 4 --repeat 1 --warmup 1 --max-tokens 16 --seed 0 \
  --overhead --merge "$vllm_json" --json docs/bench.json --plot docs/bench.png
