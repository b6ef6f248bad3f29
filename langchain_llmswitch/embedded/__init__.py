"""The embedded default provider's machinery: models, llama.cpp servers, processes.

Imported only when a model of the ``embedded`` provider is built (or by the harness);
`langchain_llmswitch.providers.embedded` is its row of the provider table.
"""
