"""``python -m langchain_llmswitch.cli``: the ``llmswitch`` command."""

from langchain_llmswitch.cli import main

raise SystemExit(main())
