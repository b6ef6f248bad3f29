import subprocess
import sys

import langchain_llmswitch

EXPECTED_ALL = [
    "PROVIDERS",
    "CapabilityError",
    "ConfigurationError",
    "EmbeddingSpace",
    "EmbeddingSpaceError",
    "ImageError",
    "LLMSwitchError",
    "LLMSwitchSettings",
    "MissingDependencyError",
    "ProviderUnavailableError",
    "MalformedResponseError",
    "RateLimitExhaustedError",
    "ServerConnectionError",
    "ServerError",
    "ServerStatusError",
    "ServerTimeoutError",
    "StreamInterruptedError",
    "StreamStalledError",
    "SpaceGuardedEmbeddings",
    "__version__",
    "check_vision",
    "configured_space",
    "get_chat_model",
    "get_embeddings",
    "get_vision_model",
    "guard_embeddings",
    "image_message",
    "load_settings",
    "resolve_endpoint",
]


def test_all_is_pinned() -> None:
    assert sorted(langchain_llmswitch.__all__) == sorted(EXPECTED_ALL)
    for name in EXPECTED_ALL:
        assert hasattr(langchain_llmswitch, name)


def test_import_is_lazy() -> None:
    """Importing the package must not import any provider package or HTTP stack."""
    code = (
        "import sys, langchain_llmswitch; "
        "heavy = ['langchain_openai', 'langchain_ollama', 'openai', 'ollama', 'httpx', "
        "'langchain_core.language_models', 'tiktoken']; "
        "print(','.join(m for m in heavy if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert out == ""


def test_version_is_a_string() -> None:
    assert isinstance(langchain_llmswitch.__version__, str)
    assert langchain_llmswitch.__version__.count(".") >= 2
