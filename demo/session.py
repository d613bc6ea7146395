"""The demo's run: broker, store and services up; demo data in; the results shown.

Everything started here is stopped on Ctrl-C (or SIGTERM), services before the store.
"""
from __future__ import annotations

import os
import secrets
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
from nameko.standalone.rpc import ClusterRpcProxy

from demo import agencies, branches_loader, loader, people, report, season, season_loader
from yinfa.catalog import SERVICES
from yinfa.infra.broker import ensure_broker, ensure_management, mask_uri
from yinfa.infra.embedded_store import ensure_store
from yinfa.infra.processes import StopRequested, Supervisor
from yinfa.infra.vhosts import create_vhost, delete_vhost, has_own_vhost, in_vhost
from yinfa.ops.server import ops_port
from yinfa.reference import load_city
from yinfa.secrets import DEMO_MODE
from yinfa.store.clients import client_for

READY_TIMEOUT = 60.0


_STARTED = time.monotonic()


def say(message: str) -> None:
    elapsed = f"{time.monotonic() - _STARTED:6.1f}s "
    click.echo(click.style("▸ ", fg="green") + click.style(elapsed, dim=True) + message)


def wait_until_ready(config: dict, ports: dict[str, int | None],
                     supervisor: Supervisor) -> None:
    """Each process ready (bounded): its ops endpoint answers /health/ready with 200, or,
    with the endpoints off, its `health` RPC answers (the gateway has no RPC)."""
    deadline = time.monotonic() + READY_TIMEOUT
    with ClusterRpcProxy(config, timeout=2) as rpc:
        for name, port in ports.items():
            while True:
                crashed = supervisor.exited()
                if crashed:
                    raise click.ClickException(f"service exited early: {crashed}; see logs")
                if _answers(rpc, name, port):
                    break
                if time.monotonic() > deadline:
                    raise click.ClickException(f"{name} did not answer in time")
                time.sleep(0.5)


def _answers(rpc: Any, name: str, port: int | None) -> bool:
    try:
        if port:
            url = f"http://127.0.0.1:{port}/health/ready"
            with urllib.request.urlopen(url, timeout=2) as answer:
                return answer.status == 200
        if name == "gateway":
            return True  # nothing to ask it without its endpoint: the API is checked later
        getattr(rpc, name).health()
        return True
    except Exception:
        return False


DB_PREFIX = "yinfa_demo"
RESTART_DELAYS = (1, 2, 5, 10, 30)  # seconds before restarting a crashed service, growing
STEADY_SECONDS = 60.0  # a service that ran this long starts its delays afresh
DEMO_USER = "demo"
DEMO_COUNTY_USER = "demo-tinghu"  # a county bureau: sees 亭湖区 only


def run_demo(volunteer_count: int, once: bool, seed: int, resume: bool = False) -> int:
    os.environ[DEMO_MODE] = "1"  # inherited by every process the demo starts
    say("DEMO MODE: secrets not set are demo values, known to everyone; "
        "never load real people's data into this run")
    broker = ensure_broker()
    say(f"RabbitMQ at {mask_uri(broker.uri)} {' '.join(broker.actions)}".rstrip())
    management = ensure_management()
    say(f"RabbitMQ management at {mask_uri(management.uri)}")

    run_dir = _run_dir(resume)
    amqp_uri, vhost = broker.uri, None
    if not has_own_vhost(broker.uri):  # a vhost per run: two demos never answer each other
        vhost = f"yinfa-{run_dir.name}"
        create_vhost(management.uri, vhost, urlsplit(broker.uri).username or "guest")
        amqp_uri = in_vhost(broker.uri, vhost)
    mongo_uri, embedded = ensure_store(data_dir=run_dir / "store", name="demo")
    say(f"document store at {mongo_uri}" + (" (embedded nx-27017)" if embedded else "")
        + (f", resumed from {run_dir}" if resume else ""))
    env = {"AMQP_URI": amqp_uri, "MONGO_URI": mongo_uri, "YINFA_DB_PREFIX": DB_PREFIX}
    config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    services = list(SERVICES)
    try:
        with Supervisor(run_dir / "logs") as supervisor:
            ops_base = ops_port()
            ports: dict[str, int | None] = {}
            commands: dict[str, tuple[list[str], dict[str, str]]] = {}
            for index, name in enumerate(services):  # an ops port each: they share a host
                ports[name] = ops_base + index if ops_base else None
                ops = {} if not ops_base else {"YINFA_OPS_PORT": str(ops_base + index)}
                commands[name] = ([sys.executable, "-m", "yinfa.cli", "run", name],
                                  {**env, **ops})
                supervisor.start(name, *commands[name])
            wait_until_ready(config, ports, supervisor)
            say(f"services up: {', '.join(services)} (logs in {run_dir / 'logs'})")
            show(config, volunteer_count, seed, load=not (resume and _has_data(config)))
            _ready_to_use(mongo_uri)
            if once:
                return 0
            say("running; press Ctrl-C to stop everything")
            keep_running(supervisor, commands)
    except (KeyboardInterrupt, StopRequested):
        say("stopped on request")
        return 0
    finally:
        if embedded is not None:
            embedded.stop()
        if vhost is not None:
            delete_vhost(management.uri, vhost)
        say("all services and the store are stopped")
    return 0


def _run_dir(resume: bool) -> Path:
    base = Path(os.environ.get("YINFA_DATA_DIR", "var"))
    if resume:
        earlier = sorted((p for p in base.glob("demo-*") if (p / "store").exists()),
                         key=lambda p: p.stat().st_mtime)
        if not earlier:
            raise click.ClickException(f"no earlier demo in {base} to resume")
        return earlier[-1]
    return base / f"demo-{int(time.time())}"


def _has_data(config: dict) -> bool:
    with ClusterRpcProxy(config, timeout=30) as rpc:
        return rpc.volunteers.list_volunteers(limit=1)["total"] > 0


def keep_running(supervisor: Supervisor, commands: dict[str, tuple[list[str], dict[str, str]]]
                 ) -> None:
    """Until Ctrl-C: a service that stops is started again after a growing delay, while
    the others go on serving."""
    crashes: dict[str, int] = {}
    started: dict[str, float] = {name: time.monotonic() for name in commands}
    while True:
        name = supervisor.wait()
        code = supervisor.children[name].returncode
        if time.monotonic() - started[name] > STEADY_SECONDS:
            crashes[name] = 0
        delay = RESTART_DELAYS[min(crashes.get(name, 0), len(RESTART_DELAYS) - 1)]
        say(f"{name} stopped (exit {code}); starting it again in {delay} s "
            f"(log: {supervisor.log_paths[name]})")
        time.sleep(delay)
        supervisor.start(name, *commands[name])
        crashes[name] = crashes.get(name, 0) + 1
        started[name] = time.monotonic()


def _ready_to_use(mongo_uri: str) -> None:
    """A city administrator to log in with, and where everything is."""
    from gateway.accounts.book import AccountBook, DirectStreams
    from gateway.settings import listen_address

    db = client_for(mongo_uri)[f"{DB_PREFIX}_gateway"]
    book = AccountBook(db, DirectStreams(db, actor="demo"))
    password = secrets.token_urlsafe(9)
    for username, role, scope in ((DEMO_USER, "city_admin", {}),
                                  (DEMO_COUNTY_USER, "county_admin", {"county_code": "320902"})):
        if book.find(username) is None:
            book.open({"username": username, "password": password, "role": role, **scope,
                       "display_name": "演示管理员"})
        else:
            book.set_password(username, password)
    api = listen_address({}).replace("0.0.0.0", "127.0.0.1")
    click.echo(click.style("ready to use", bold=True))
    click.echo(f"  API      http://{api}/")
    click.echo(f"  Swagger  http://{api}/docs")
    click.echo(f"  another administrator: MONGO_URI='{mongo_uri}' YINFA_DB_PREFIX={DB_PREFIX} "
               ".venv/bin/yinfa-create-admin --username NAME")
    click.echo(f"  Dashboard http://{api}/dashboard/   (county bureau of 亭湖区: "
               f"{DEMO_COUNTY_USER}, same password)")
    click.echo(f"  login    {DEMO_USER} / {password}   (the dashboard, or POST /auth/login; "
               "new at every start)")
    click.echo()


def show(config: dict, volunteer_count: int, seed: int, load: bool = True) -> None:
    city = load_city()
    started = time.monotonic()
    with ClusterRpcProxy(config, timeout=120) as rpc:
        if load:
            demo_people = people.volunteers_for(city, volunteer_count, seed)
            teams = people.teams_for(city, seed)
            serving = loader.load(rpc, demo_people, teams, say)
            branches_loader.load_branches(rpc, city, seed, say)
            season_loader.wait_for_directory(rpc.activities, volunteer_count, say)
            season_loader.load_season(rpc, season.season(city, serving, seed),
                                      season.wishes(city, seed), say)
            agencies.load(rpc, city, volunteer_count, seed, say)
            wait_for_ledgers(rpc)
            wait_for_scoring(rpc)
            say(f"demo data loaded in {time.monotonic() - started:.1f} s")
        else:
            say("the resumed store has its data: shown as it is")
        summary = rpc.volunteers.county_summary()
        activity_summary = rpc.activities.county_summary()
        coverage = rpc.branches.coverage()
        ranking = rpc.scoring.county_ranking()
        agency_ranking = rpc.scoring.agency_ranking()
    click.echo()
    click.echo(click.style(f"{city.name}银发志愿者：各县（市、区）人数与星级", bold=True))
    click.echo(report.county_table(summary))
    click.echo()
    click.echo(click.style(f"{city.name}志愿服务活动与微心愿", bold=True))
    click.echo(report.activity_table(summary, activity_summary))
    click.echo()
    click.echo(click.style(f"{city.name}离退休干部党支部达标创建覆盖率", bold=True))
    click.echo(branches_loader.coverage_table(coverage))
    click.echo()
    rulebook = ranking[0]["rulebook"] if ranking else "-"
    click.echo(click.style(f"{city.name}各县（市、区）年度考评实时排名（评分细则 {rulebook}）",
                           bold=True))
    click.echo(report.ranking_table(ranking))
    click.echo()
    click.echo(click.style(f"{city.name}市直单位年度考评实时排名（评分细则 {rulebook}）",
                           bold=True))
    click.echo(agencies.ranking_table(agency_ranking))
    click.echo()


def wait_for_scoring(rpc, timeout: float = 120.0) -> None:
    """The scoring service learns everything by event: wait until it has heard every one."""
    sources = ("volunteers", "branches", "activities")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        published = sum(getattr(rpc, name).health()["head"] for name in sources)
        health = rpc.scoring.health()
        heard = sum(health["intake"].values())
        if heard >= published and health["folded_position"] == health["journal_head"]:
            say(f"the scoring service has applied all {published} events")
            return
        time.sleep(0.5)
    say("warning: the scoring service had not heard every event in time")


def wait_for_ledgers(rpc, timeout: float = 60.0) -> None:
    """Completions reach the volunteers' ledgers by event: wait until every hour has."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counties = rpc.volunteers.county_summary()  # the counties' (agencies: not listed)
        listed = {row["county_code"] for row in counties}
        credited = sum(Decimal(row["hours"])
                       for code, row in rpc.activities.county_summary().items()
                       if code in listed)
        recorded = sum(Decimal(row["activity_hours"]) for row in counties)
        if recorded == credited:
            say(f"{credited} hours from activities are on the volunteers' ledgers")
            return
        time.sleep(0.3)
    say("warning: not every activity hour reached the ledgers in time")
