#!/usr/bin/env bash
# The benchmark of docs/benchmark.md: docs/bench.json and docs/bench.png.
# Starts the harness servers it needs (built into the cache on first use), then runs
# `llmswitch bench` twice, merged into one report: vLLM (chat at 1..16 concurrent, embeddings of
# 5,000 texts), then llama.cpp `llama-server` chat with 4 slots and with 1 slot at the same levels
# (embeddings of 5,000 texts on the llama.cpp embeddings server), plus the client-overhead
# measurement. Every level is measured twice in alternating order (--repeat 2). 25 minutes
# measured on an idle 2-core machine; run it on an idle one (other load swings single runs by tens of %).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
"$PY" -m harness start vllm-chat vllm-embed llamacpp-chat llamacpp-chat-1slot llamacpp-embed
eval "$("$PY" -m harness env)"
vllm_json=$(mktemp --suffix=.json)
trap 'rm -f "$vllm_json"' EXIT
common=(--concurrency 1,2,4,8,16 --requests 16 --repeat 2 --warmup 1 --max-tokens 16 --seed 0
  --texts 5000 --batch-size 64 --embeddings-concurrency 1,4)
"$PY" -m langchain_llmswitch.cli bench "${common[@]}" \
  --target "vllm=vllm,chat_url=$LLMSWITCH_TEST_VLLM_CHAT_URL,chat_model=smollm2-135m,embed_url=$LLMSWITCH_TEST_VLLM_EMBED_URL,embed_model=all-MiniLM-L6-v2" \
  --json "$vllm_json"
"$PY" -m langchain_llmswitch.cli bench "${common[@]}" \
  --target "llamacpp-4slots=openai,chat_url=$LLMSWITCH_TEST_LLAMACPP_CHAT_URL,chat_model=smollm2,embed_url=$LLMSWITCH_TEST_LLAMACPP_EMBED_URL,embed_model=all-MiniLM-L6-v2" \
  --target "llamacpp-1slot=openai,chat_url=$LLMSWITCH_TEST_LLAMACPP_CHAT_1SLOT_URL,chat_model=smollm2" \
  --overhead --merge "$vllm_json" --json docs/bench.json --plot docs/bench.png
