"""Old path of `langchain_llmswitch.vision.ocr`, kept for imports written against it."""

from langchain_llmswitch.vision.ocr import *  # noqa: F403
from langchain_llmswitch.vision.ocr import __all__  # noqa: F401 - the same public names
