"""Old path of `langchain_llmswitch.bench.overhead`, kept for imports written against it."""

from langchain_llmswitch.bench.overhead import *  # noqa: F403
from langchain_llmswitch.bench.overhead import __all__  # noqa: F401 - the same public names
