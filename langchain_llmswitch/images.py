"""Old path of `langchain_llmswitch.vision.images`, kept for imports written against it."""

from langchain_llmswitch.vision.images import *  # noqa: F403
from langchain_llmswitch.vision.images import __all__  # noqa: F401 - the same public names
