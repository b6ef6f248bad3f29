#!/usr/bin/env bash
# The benchmark of the README's "Benchmark" section: docs/bench.json and docs/bench.png.
# Starts the harness servers it needs (built into the cache on first use), then runs
# `llmswitch bench` on vLLM, llama.cpp with 4 slots and with 1 slot, and the Ollama-API
# proxy (ollama-proxy-plus in front of llama.cpp: NOT a real Ollama). ~15 minutes on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# llama-server dies (SIGILL/SIGSEGV) on CPUs that advertise AVX512 it cannot run when it
# repacks weights at load time; repacking off is harmless elsewhere.
export LLAMA_ARG_REPACK=${LLAMA_ARG_REPACK:-0}
"$PY" -m harness start vllm-chat vllm-embed llamacpp-chat llamacpp-chat-1slot llamacpp-embed ollama-proxy
eval "$("$PY" -m harness env)"
"$PY" -m langchain_llmswitch.cli bench \
  --target "vllm=vllm,chat_url=$LLMSWITCH_TEST_VLLM_CHAT_URL,chat_model=smollm2-135m,embed_url=$LLMSWITCH_TEST_VLLM_EMBED_URL,embed_model=all-MiniLM-L6-v2" \
  --target "llamacpp-4slots=openai,chat_url=$LLMSWITCH_TEST_LLAMACPP_CHAT_URL,chat_model=smollm2,embed_url=$LLMSWITCH_TEST_LLAMACPP_EMBED_URL,embed_model=all-MiniLM-L6-v2" \
  --target "llamacpp-1slot=openai,chat_url=$LLMSWITCH_TEST_LLAMACPP_CHAT_1SLOT_URL,chat_model=smollm2" \
  --target "ollama-proxy=ollama,chat_url=$LLMSWITCH_TEST_OLLAMA_PROXY_URL,chat_model=llama/smollm2,embed_url=$LLMSWITCH_TEST_OLLAMA_PROXY_URL,embed_model=emb/minilm" \
  --concurrency 1,2,4,8,16 --requests 16 --max-tokens 32 --seed 0 \
  --texts 5000 --batch-size 64 --embeddings-concurrency 1,4,16 \
  --overhead --json docs/bench.json --plot docs/bench.png "$@"
