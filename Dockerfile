# The app container of docker-compose.yml: the package, its examples, and `llmswitch check`.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY langchain_llmswitch ./langchain_llmswitch
COPY examples ./examples
RUN pip install --no-cache-dir .
# Replace with your service. This one waits for the servers, answers one question, and stays
# up so the compose health check (`llmswitch check`) keeps watching them.
CMD ["sh", "-c", "llmswitch check --wait 600 && python examples/rag_service.py && exec sleep infinity"]
