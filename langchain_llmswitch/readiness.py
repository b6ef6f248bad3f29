"""Old path of `langchain_llmswitch.reliability.readiness`, kept for imports written against it."""

from langchain_llmswitch.reliability.readiness import *  # noqa: F403
from langchain_llmswitch.reliability.readiness import __all__  # noqa: F401 - the same public names
