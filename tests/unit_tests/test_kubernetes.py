"""Every manifest and values file under deploy/: parsed by real parsers, on paper only.

No cluster runs here. Kubernetes resources are validated against Kubernetes' own OpenAPI
schemas (``kubernetes-validate``, strict: an unknown field fails); Helm values and the
LiteLLM config are parsed by PyYAML and checked for the keys docs/scale-out.md relies on;
every variable set for the app is one the settings read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from langchain_llmswitch.config import ENV_FILE_VARIABLE, LLMSwitchSettings, env_names

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
K8S_VERSION = "1.32"
SETTINGS_VARIABLES = {
    name for field in LLMSwitchSettings.model_fields.values() for name in env_names(field)
} | {ENV_FILE_VARIABLE}
VALUES_FILES = {"production-stack-values.yaml", "llm-d-values.yaml"}
YAML_FILES = sorted(DEPLOY.rglob("*.yaml"))


def _documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def _resources() -> list[tuple[str, dict[str, Any]]]:
    return [
        (f"{path.name}:{doc['kind']}/{doc['metadata']['name']}", doc)
        for path in YAML_FILES
        if path.parent.name == "kubernetes" and path.name not in VALUES_FILES
        for doc in _documents(path)
    ]


RESOURCES = _resources()


def test_every_yaml_file_is_a_manifest_a_values_file_or_the_litellm_config() -> None:
    names = {path.relative_to(DEPLOY).as_posix() for path in YAML_FILES}
    assert names == {
        "kubernetes/app.yaml",
        "kubernetes/llm-d-values.yaml",
        "kubernetes/production-stack-values.yaml",
        "kubernetes/vllm-router.yaml",
        "litellm/config.yaml",
    }


@pytest.mark.parametrize(("name", "resource"), RESOURCES, ids=[name for name, _ in RESOURCES])
def test_manifest_is_valid_kubernetes(name: str, resource: dict[str, Any]) -> None:
    kubernetes_validate.validate(resource, K8S_VERSION, strict=True)


def test_the_validator_is_real() -> None:
    """A misspelt field fails, so a pass above means something."""
    (_, deployment) = next(item for item in RESOURCES if item[1]["kind"] == "Deployment")
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, K8S_VERSION, strict=True)


def _by_kind(kind: str, name: str) -> dict[str, Any]:
    return next(
        doc for _, doc in RESOURCES if doc["kind"] == kind and doc["metadata"]["name"] == name
    )


def test_the_router_is_probed_on_readiness_and_finds_the_replicas() -> None:
    router = _by_kind("Deployment", "vllm-router")["spec"]["template"]["spec"]
    (container,) = router["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readiness"
    assert container["livenessProbe"]["httpGet"]["path"] == "/liveness"
    args = container["args"]
    replicas = _by_kind("Deployment", "vllm")["spec"]["template"]["metadata"]["labels"]
    assert "--service-discovery" in args
    assert args[args.index("--selector") + 1] == f"app={replicas['app']}"
    assert router["serviceAccountName"] == "vllm-router"
    verbs = _by_kind("Role", "vllm-router-pods")["rules"][0]["verbs"]
    assert {"list", "watch"} <= set(verbs)


def test_the_app_environment_is_read_by_the_settings() -> None:
    config = _by_kind("ConfigMap", "llmswitch-env")["data"]
    app = _by_kind("Deployment", "app")["spec"]["template"]["spec"]["containers"][0]
    names = set(config) | {item["name"] for item in app["env"]}
    assert names <= SETTINGS_VARIABLES, sorted(names - SETTINGS_VARIABLES)
    assert config["LLM_BASE_URL"].startswith("http://vllm-router:8000")
    assert config["LLM_FALLBACK_BASE_URL"].startswith("http://vllm-direct:8000")
    assert app["readinessProbe"]["exec"]["command"] == ["llmswitch", "check"]


def test_production_stack_values() -> None:
    (values,) = _documents(DEPLOY / "kubernetes" / "production-stack-values.yaml")
    (model,) = values["servingEngineSpec"]["modelSpec"]
    assert model["replicaCount"] >= 2
    assert values["routerSpec"]["enableRouter"] is True
    assert values["routerSpec"]["routingLogic"] == "roundrobin"


def test_llm_d_values_set_only_known_variables() -> None:
    (values,) = _documents(DEPLOY / "kubernetes" / "llm-d-values.yaml")
    environment = values["llmswitch"]["env"]
    assert set(environment) <= SETTINGS_VARIABLES
    assert environment["LLM_BASE_URL"].endswith("/v1")


def test_litellm_config_serves_one_name_from_two_apis() -> None:
    (config,) = _documents(DEPLOY / "litellm" / "config.yaml")
    names = {entry["model_name"] for entry in config["model_list"]}
    providers = {entry["litellm_params"]["model"].split("/")[0] for entry in config["model_list"]}
    assert len(names) == 1
    assert {"ollama_chat", "hosted_vllm"} <= providers
