"""Tool agent: langchain's ``create_agent`` with a tool and a typed answer, on any backend.

The same code runs on vLLM, llama.cpp, Ollama and the embedded default: only the environment
says which (``LLM_PROVIDER``, ``LLM_BASE_URL``, ``LLM_MODEL``). The first model call is forced
to call a tool (``tool_choice="any"``): the package enforces a forced choice on every server,
which small models need (they seldom choose a tool on their own). The embedded default cannot
call tools: the agent then says so (`CapabilityError`) and answers with structured output only.

Run::

    python examples/tool_agent.py ["What is the weather in Paris?"] [--max-tokens N]
"""

from __future__ import annotations

import argparse
from typing import Any

from langchain.agents import create_agent
from langchain.agents.middleware import wrap_model_call
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool
from pydantic import BaseModel

from langchain_llmswitch import CapabilityError, get_chat_model

QUESTION = "What is the weather in Paris?"

FORECASTS = {"paris": "sunny, 21 C", "rome": "cloudy, 18 C"}


@tool
def get_weather(city: str) -> str:
    """Get today's weather of a city."""
    return FORECASTS.get(city.strip().lower(), "no forecast for that city")


class CityAnswer(BaseModel):
    """The city a question is about."""

    city: str


@wrap_model_call
def tool_first(request: Any, handler: Any) -> Any:
    """Force a tool call until a tool has answered, then let the model answer."""
    if not any(isinstance(message, ToolMessage) for message in request.messages):
        request = request.override(tool_choice="any")
    return handler(request)


def ask(question: str, *, max_tokens: int = 64) -> dict[str, Any]:
    """Run the agent loop; return the tool calls made, the tool results and the answer.

    Args:
        question: What to ask.
        max_tokens: Cap on generated tokens per model call.

    Raises:
        CapabilityError: The configured server or model cannot call tools.
    """
    chat = get_chat_model(temperature=0, seed=1, max_tokens=max_tokens)
    agent = create_agent(chat, tools=[get_weather], middleware=[tool_first])
    messages = agent.invoke({"messages": [HumanMessage(question)]})["messages"]
    calls = [call for message in messages for call in getattr(message, "tool_calls", [])]
    results = [str(m.content) for m in messages if isinstance(m, ToolMessage)]
    return {"calls": calls, "results": results, "answer": str(messages[-1].content)}


def city_of(question: str, *, max_tokens: int = 64) -> CityAnswer:
    """A typed answer: ``create_agent(response_format=...)``, the server's structured output.

    Args:
        question: What to ask.
        max_tokens: Cap on generated tokens.
    """
    chat = get_chat_model(temperature=0, seed=1, max_tokens=max_tokens)
    agent = create_agent(chat, response_format=CityAnswer)
    answer: CityAnswer = agent.invoke({"messages": [HumanMessage(question)]})["structured_response"]
    return answer


def main(argv: list[str] | None = None) -> None:
    """Print the tool calls, the tool results, the answer and the typed answer."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("question", nargs="?", default=QUESTION, help="what to ask")
    parser.add_argument("--max-tokens", type=int, default=64, help="cap generated tokens")
    args = parser.parse_args(argv)
    try:
        run = ask(args.question, max_tokens=args.max_tokens)
    except CapabilityError as error:
        print(f"no tools here: {error}")
    else:
        for call in run["calls"]:
            print(f"tool call: {call['name']}({call['args']})")
        for result in run["results"]:
            print(f"tool result: {result}")
        print(f"answer: {run['answer']}")
    print(f"typed: {city_of(args.question, max_tokens=args.max_tokens)!r}")


if __name__ == "__main__":
    main()
