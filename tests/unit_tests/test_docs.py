"""The README, the documentation pages in docs/, the CLI help and the provider table agree."""

from __future__ import annotations

import argparse
import ast
import importlib
import re
from pathlib import Path

import pytest

from langchain_llmswitch.cli import build_parser
from langchain_llmswitch.config import ENV_FILE_VARIABLE, LLMSwitchSettings, env_names
from langchain_llmswitch.embedded.cache import CACHE_ENV
from langchain_llmswitch.embedded.install import EXTRA_CMAKE_ARGS, EXTRA_INSTALL
from langchain_llmswitch.providers import PROVIDERS
from langchain_llmswitch.providers.base import PARAMETERS

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
README = (ROOT / "README.md").read_text()
MKDOCS = (ROOT / "mkdocs.yml").read_text()


def page(name: str) -> str:
    """Return the text of one documentation page."""
    return (DOCS / name).read_text()


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Return the parsers of `llmswitch`'s subcommands, by name."""
    action = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def long_options(parser: argparse.ArgumentParser) -> list[str]:
    """Return a parser's long options, ``--help`` left out."""
    return [
        option
        for action in parser._actions
        for option in action.option_strings
        if option.startswith("--") and option != "--help"
    ]


SETTING_VARIABLES = sorted(
    {name for f in LLMSwitchSettings.model_fields.values() for name in env_names(f)}
)


# --- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("variable", SETTING_VARIABLES)
def test_configuration_page_lists_every_variable(variable: str) -> None:
    assert f"`{variable}`" in page("configuration.md")


def test_every_setting_has_variables() -> None:
    assert len(SETTING_VARIABLES) > 50
    assert all(env_names(f) for f in LLMSwitchSettings.model_fields.values())


@pytest.mark.parametrize("variable", [ENV_FILE_VARIABLE, CACHE_ENV, "XDG_CACHE_HOME"])
def test_configuration_page_lists_the_variables_outside_the_settings(variable: str) -> None:
    assert f"`{variable}`" in page("configuration.md")


def test_configuration_page_gives_each_variable_one_row() -> None:
    """Every new name heads exactly one table row (its meaning is not lost in prose)."""
    first_cells = [
        line.split("|")[1]
        for line in page("configuration.md").splitlines()
        if line.startswith("| `")
    ]
    for field in LLMSwitchSettings.model_fields.values():
        new_name = env_names(field)[0]
        if new_name.startswith(("OLLAMA_", "VLLM_", "OPENAI_")):
            continue  # a legacy provider variable: listed in the rows of the new names
        rows = [cell for cell in first_cells if f"`{new_name}`" in cell]
        assert len(rows) == 1, new_name


# --- providers ---------------------------------------------------------------------------


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_docs_and_cli_list_every_provider(provider: str) -> None:
    assert f"`{provider}`" in page("configuration.md")
    assert provider in build_parser().description  # type: ignore[operator]


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_readme_capability_table_has_every_provider(provider: str) -> None:
    header = next(line for line in README.splitlines() if line.startswith("| capability |"))
    assert f"`{provider}`" in header


# --- parameters --------------------------------------------------------------------------


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
@pytest.mark.parametrize("parameter", PARAMETERS)
def test_parameter_table_matches_the_provider_table(provider: str, parameter: str) -> None:
    lines = page("parameters.md").splitlines()
    row = next(line for line in lines if line.startswith(f"| `{parameter}` |"))
    placement = PROVIDERS[provider].parameters[parameter]
    if placement.where == "server":
        assert "checked, not sent" in row
    else:
        assert f"`{placement.wire}`" in row


# --- command line ------------------------------------------------------------------------


@pytest.mark.parametrize("command", sorted(subcommands()))
def test_cli_page_documents_every_command_and_option(command: str) -> None:
    text = page("cli.md")
    assert f"`llmswitch {command}" in text
    if command == "bench":
        return  # its options are on the benchmark page (test_bench_stats.py checks them)
    row = next(line for line in text.splitlines() if line.startswith(f"| `llmswitch {command}"))
    for option in long_options(subcommands()[command]):
        assert option in row, (command, option)


def test_embedded_actions_are_documented() -> None:
    parser = subcommands()["embedded"]
    actions = next(a for a in parser._actions if a.dest == "action")
    for action in actions.choices:  # type: ignore[union-attr]
        assert f"llmswitch embedded {action}" in page("embedded.md")


# --- the README: a first page ------------------------------------------------------------


def test_readme_is_a_first_page() -> None:
    assert len(README.splitlines()) <= 250


def test_readme_first_screen_gives_the_demo_and_test_commands() -> None:
    first_screen = "\n".join(README.splitlines()[:30])
    assert "make demo" in first_screen
    assert "make test " in first_screen or "make test\n" in first_screen


def test_ci_runs_the_readme_test_command_and_the_docs() -> None:
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test \|\| status=1", ci, re.MULTILINE)
    assert re.search(r"^make docs \|\| status=1", ci, re.MULTILINE)


def test_readme_links_point_at_existing_pages() -> None:
    links = re.findall(r"\]\((docs/[^)#]+)", README)
    assert len(links) > 10
    for link in links:
        assert (ROOT / link).exists(), link


# --- the site ----------------------------------------------------------------------------


def test_every_page_is_in_the_site_navigation() -> None:
    pages = sorted(p.name for p in DOCS.glob("*.md"))
    assert "harness.md" in pages
    assert "api.md" in pages
    for name in pages:
        assert f": {name}" in MKDOCS, name


def test_benchmark_page_shows_the_recorded_results() -> None:
    text = page("benchmark.md")
    assert "](bench.png)" in text
    assert (DOCS / "bench.png").exists()
    assert (DOCS / "bench.json").exists()


def test_api_page_covers_the_public_names() -> None:
    import langchain_llmswitch  # noqa: PLC0415

    text = page("api.md")
    for name in langchain_llmswitch.__all__:
        if name != "__version__":
            assert f"- {name}\n" in text, name


# --- code on the pages --------------------------------------------------------------------

PAGES = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]


def _python_blocks() -> list[tuple[str, str]]:
    return [
        (f"{path.name}#{number}", block)
        for path in PAGES
        for number, block in enumerate(re.findall(r"```python\n(.*?)```", path.read_text(), re.S))
    ]


@pytest.mark.parametrize(("where", "block"), _python_blocks(), ids=[w for w, _ in _python_blocks()])
def test_python_on_the_pages_parses_and_imports_what_exists(where: str, block: str) -> None:
    """Every Python block parses, and every name it imports from the package exists there."""
    tree = ast.parse(block, filename=where)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "langchain_llmswitch"
        ):
            module = importlib.import_module(node.module)  # type: ignore[arg-type]
            for alias in node.names:
                assert hasattr(module, alias.name), f"{where}: {node.module}.{alias.name}"


def test_pages_import_from_the_top_level_where_it_exports_the_name() -> None:
    import langchain_llmswitch  # noqa: PLC0415

    for where, block in _python_blocks():
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "langchain_llmswitch."
            ):
                for alias in node.names:
                    assert alias.name not in langchain_llmswitch.__all__, (where, alias.name)


# --- wording -----------------------------------------------------------------------------

INTERNAL_WORDING = re.compile(
    r"\bthe seeds\b|\bseeds'|\beach seed's\b|\b(first|second) plan|\bthe plan's\b|"
    r"\bmigration plans\b",
    re.IGNORECASE,
)


def _user_facing_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / ".env.example", *DOCS.glob("*.md")]
    files += [*(ROOT / "examples").glob("*.py"), *(ROOT / "notebooks").glob("*.ipynb")]
    files += (ROOT / "langchain_llmswitch").rglob("*.py")
    return sorted(files)


@pytest.mark.parametrize("path", _user_facing_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_internal_project_wording(path: Path) -> None:
    """Say what the code replaces ("a hand-written Ollama client"), not "the seeds"."""
    text = path.read_text()
    assert not INTERNAL_WORDING.search(text), INTERNAL_WORDING.search(text)


def _joined(text: str) -> str:
    """The text with shell line continuations (backslash, newline, indent) joined."""
    return re.sub(r"\\\n\s*", "", text)


@pytest.mark.parametrize("where", ["README.md", "docs/embedded.md"])
def test_the_embedded_install_command_is_the_one_errors_give(where: str) -> None:
    """`MissingDependencyError` prints `EXTRA_INSTALL`; the docs give the very same command."""
    assert EXTRA_INSTALL in _joined((ROOT / where).read_text())


def test_the_embedded_cmake_flags_are_the_harness_ones() -> None:
    """The harness builds llama.cpp with the documented flags (and its CPU flags on top)."""
    from harness import versions  # noqa: PLC0415 - the test harness, a sibling package

    assert versions.LLAMA_CMAKE_ARGS.startswith(EXTRA_CMAKE_ARGS)


def test_every_page_with_a_vector_store_example_says_it_needs_numpy() -> None:
    """langchain-core's InMemoryVectorStore imports numpy, which langchain-core does not need."""
    texts = {"README.md": README, **{path.name: path.read_text() for path in DOCS.glob("*.md")}}
    texts["examples/rag_service.py"] = (ROOT / "examples" / "rag_service.py").read_text()
    using = [name for name, text in texts.items() if "InMemoryVectorStore" in text]
    assert "embedding-spaces.md" in using
    for name in using:
        assert "pip install numpy" in texts[name], name


def test_the_portability_page_has_a_row_per_feature_and_a_column_per_backend() -> None:
    """The page is written by `make matrix`; a live run fails when its cells are stale."""
    from tests.integration_tests import portability  # noqa: PLC0415

    table = portability.page_table(page("portability.md")).splitlines()
    assert table[0] == "| feature | " + " | ".join(portability.BACKENDS) + " |"
    rows = [line.split(" | ")[0].removeprefix("| ") for line in table[2:]]
    assert rows == list(portability.FEATURES.values())
    assert "not run" not in "\n".join(table)
