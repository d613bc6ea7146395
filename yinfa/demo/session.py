"""`yinfa demo`: broker, store and services up; demo data in; the results shown.

Everything started here is stopped on Ctrl-C (or SIGTERM), services before the store.
"""
from __future__ import annotations

import os
import sys
import time
import urllib.request
from decimal import Decimal
from pathlib import Path
from typing import Any

import click
from nameko.standalone.rpc import ClusterRpcProxy

from yinfa.catalog import SERVICES
from yinfa.demo import branches_loader, loader, people, report, season, season_loader
from yinfa.infra.broker import ensure_broker, ensure_management, mask_uri
from yinfa.infra.embedded_store import ensure_store
from yinfa.infra.processes import StopRequested, Supervisor
from yinfa.ops.server import ops_port
from yinfa.reference import load_city
from yinfa.secrets import DEMO_MODE

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


def run_demo(volunteer_count: int, once: bool, seed: int) -> int:
    os.environ[DEMO_MODE] = "1"  # inherited by every process the demo starts
    say("DEMO MODE: secrets not set are demo values, known to everyone; "
        "never load real people's data into this run")
    broker = ensure_broker()
    say(f"RabbitMQ at {mask_uri(broker.uri)} {' '.join(broker.actions)}".rstrip())
    management = ensure_management()
    say(f"RabbitMQ management at {mask_uri(management.uri)}")

    run_dir = Path(os.environ.get("YINFA_DATA_DIR", "var")) / f"demo-{int(time.time())}"
    mongo_uri, embedded = ensure_store(data_dir=run_dir / "store", name="demo")
    say(f"document store at {mongo_uri}" + (" (embedded nx-27017)" if embedded else ""))
    env = {"AMQP_URI": broker.uri, "MONGO_URI": mongo_uri, "YINFA_DB_PREFIX": "yinfa_demo"}
    config = {"AMQP_URI": broker.uri, "serializer": "json"}
    services = list(SERVICES)
    try:
        with Supervisor(run_dir / "logs") as supervisor:
            ops_base = ops_port()
            ports: dict[str, int | None] = {}
            for index, name in enumerate(services):  # an ops port each: they share a host
                ports[name] = ops_base + index if ops_base else None
                ops = {} if not ops_base else {"YINFA_OPS_PORT": str(ops_base + index)}
                supervisor.start(name, [sys.executable, "-m", "yinfa.cli", "run", name],
                                 {**env, **ops})
            wait_until_ready(config, ports, supervisor)
            say(f"services up: {', '.join(services)} (logs in {run_dir / 'logs'})")
            show(config, volunteer_count, seed)
            if once:
                return 0
            say("running; press Ctrl-C to stop everything")
            name = supervisor.wait()
            raise click.ClickException(f"service {name} stopped unexpectedly")
    except (KeyboardInterrupt, StopRequested):
        say("stopped on request")
        return 0
    finally:
        if embedded is not None:
            embedded.stop()
        say("all services and the store are stopped")


def show(config: dict, volunteer_count: int, seed: int) -> None:
    city = load_city()
    demo_people = people.volunteers_for(city, volunteer_count, seed)
    teams = people.teams_for(city, seed)
    started = time.monotonic()
    with ClusterRpcProxy(config, timeout=120) as rpc:
        serving = loader.load(rpc, demo_people, teams, say)
        branches_loader.load_branches(rpc, city, seed, say)
        season_loader.wait_for_directory(rpc.activities, volunteer_count, say)
        season_loader.load_season(rpc, season.season(city, serving, seed),
                                  season.wishes(city, seed), say)
        wait_for_ledgers(rpc)
        wait_for_scoring(rpc)
        say(f"demo data loaded in {time.monotonic() - started:.1f} s")
        summary = rpc.volunteers.county_summary()
        activity_summary = rpc.activities.county_summary()
        coverage = rpc.branches.coverage()
        ranking = rpc.scoring.county_ranking()
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
        credited = sum(Decimal(row["hours"])
                       for row in rpc.activities.county_summary().values())
        recorded = sum(Decimal(row["activity_hours"])
                       for row in rpc.volunteers.county_summary())
        if recorded == credited:
            say(f"{credited} hours from activities are on the volunteers' ledgers")
            return
        time.sleep(0.3)
    say("warning: not every activity hour reached the ledgers in time")
