"""The `yinfa` command: run services, run the demo, check the infrastructure."""
from __future__ import annotations

import sys
from typing import Any

import click


@click.group()
def main() -> None:
    """yinfa (银发): silver-volunteer platform for veteran-cadre bureaus."""


@main.command()
@click.argument("services", nargs=-1, required=True)
@click.option("--replicas", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes of one service, sharing the broker (supervised).")
def run(services: tuple[str, ...], replicas: int) -> None:
    """Run the named services until SIGTERM or Ctrl-C: `yinfa run volunteers`.

    With --replicas N, N supervised processes of one service; each serves its
    operations endpoint on YINFA_OPS_PORT + its index.
    """
    if replicas > 1:
        if len(services) != 1:
            raise click.UsageError("--replicas runs one service: name exactly one")
        from yinfa.config import load_settings
        from yinfa.logs import configure_logging
        from yinfa.ops.replicas import ReplicaSet

        configure_logging(load_settings().log_level)
        sys.exit(ReplicaSet(services[0], replicas).run())
    import eventlet

    eventlet.monkey_patch()
    from yinfa.runner import run_services

    run_services(services)


@main.command()
@click.option("--volunteers", "volunteer_count", default=300, show_default=True,
              help="How many demo volunteers to register.")
@click.option("--once", is_flag=True, help="Stop everything after showing the results.")
@click.option("--seed", default=2026, show_default=True, help="Seed of the demo data.")
@click.option("--resume", is_flag=True,
              help="Run again on the latest earlier demo's store (its data kept).")
def demo(volunteer_count: int, once: bool, seed: int, resume: bool) -> None:
    """Start the infrastructure and services, load demo data, show the results."""
    from yinfa.demo.session import run_demo

    sys.exit(run_demo(volunteer_count=volunteer_count, once=once, seed=seed, resume=resume))


@main.command("create-admin")
@click.option("--username", required=True, help="Login name of the city administrator.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="YINFA_ADMIN_PASSWORD", help="Asked for unless YINFA_ADMIN_PASSWORD is set.")
def create_admin(username: str, password: str) -> None:
    """Open the first city administrator account of the gateway (needs MONGO_URI)."""
    from gateway.admin import create_admin as open_admin

    sys.exit(open_admin(username, password))


@main.group()
def migrate() -> None:
    """One-off rewrites of stores written by earlier versions."""


@migrate.command("personal-data")
@click.option("--skip-queues", is_flag=True,
              help="Leave the messages waiting in the broker's queues as they are.")
def migrate_personal_data(skip_queues: bool) -> None:
    """Take personal data out of the event log and seal it (needs MONGO_URI; run it with
    the services stopped: it also rewrites the messages waiting in their queues)."""
    from pymongo import MongoClient

    from services.activities.migrate import migrate as migrate_activities
    from services.branches.migrate import migrate as migrate_branches
    from services.scoring.migrate import migrate as migrate_journal
    from services.volunteers.migrate import migrate as migrate_volunteers
    from yinfa.config import load_settings
    from yinfa.logs import configure_logging
    from yinfa.secrets import MASTER_KEY, SecretMissing, require

    settings = load_settings()
    configure_logging(settings.log_level)
    if not settings.mongo_uri:
        raise click.UsageError("set MONGO_URI to the store to migrate")
    try:
        require([MASTER_KEY])  # the names it finds are sealed under it
    except SecretMissing as missing:
        raise click.ClickException(f"refusing to start: {missing}") from None
    client: MongoClient = MongoClient(settings.mongo_uri, tz_aware=True)
    counts = {**migrate_volunteers(client, settings.database_name),
              **migrate_branches(client[settings.database_name("branches")]),
              **migrate_activities(client[settings.database_name("activities")]),
              **migrate_journal(client[settings.database_name("scoring")])}
    if not skip_queues:
        counts["queued"] = _rewrite_waiting_messages(settings.amqp_uri)
    click.echo(" ".join(f"{name}={count}" for name, count in counts.items()))


def _rewrite_waiting_messages(amqp_uri: str) -> int:
    """Messages still waiting in the broker's queues (dead letters included) that carry an
    event of a version with personal data are rewritten at the current version."""
    import json

    from services.activities.migrate import current_message as activities_current
    from services.branches.migrate import current_message as branches_current
    from services.volunteers.migrate import current_message as volunteers_current
    from yinfa.ops.queue_rewrite import rewrite_queues
    from yinfa.ops.rabbit_api import ManagementApi

    def current(envelope: Any) -> Any:
        if not isinstance(envelope, dict):
            return envelope
        return activities_current(branches_current(volunteers_current(envelope)))

    def rewrite(body: bytes) -> bytes:
        try:
            payload = json.loads(body)
        except ValueError:
            return body  # not an event: left as it is
        events = payload if isinstance(payload, list) else [payload]
        now = [current(event) for event in events]
        if now == events:
            return body
        return json.dumps(now if isinstance(payload, list) else now[0],
                          ensure_ascii=False).encode()

    # every queue: the management API's depths can be seconds old
    queues = [q.name for q in ManagementApi.from_env().queues()]
    return sum(rewrite_queues(amqp_uri, queues, rewrite).values())


@main.command("rotate-master-key")
def rotate_master_key() -> None:
    """Re-wrap every person's data key under YINFA_MASTER_KEY (the new key), reading
    the former key from YINFA_OLD_MASTER_KEY (needs MONGO_URI; data is not decrypted)."""
    import os

    from pymongo import MongoClient

    from yinfa.config import load_settings
    from yinfa.ops.rotate import SEALED, rotate
    from yinfa.sealed import master_from_text, master_key
    from yinfa.secrets import MASTER_KEY, SecretMissing, secret_text

    settings = load_settings()
    if not settings.mongo_uri:
        raise click.UsageError("set MONGO_URI to the store whose keys to rotate")
    old_text = os.environ.get("YINFA_OLD_MASTER_KEY", "")
    if not old_text:
        raise click.UsageError("set YINFA_OLD_MASTER_KEY to the key being replaced")
    try:
        if secret_text(MASTER_KEY) == old_text:
            raise click.UsageError("the new master key is the old one")
        new = master_key()
    except SecretMissing as missing:
        raise click.ClickException(f"refusing to start: {missing}") from None
    client: MongoClient = MongoClient(settings.mongo_uri, tz_aware=True)
    counts = rotate(((client[settings.database_name(service)], collection)
                     for service, collection in SEALED), master_from_text(old_text), new)
    click.echo(" ".join(f"{name}={count}" for name, count in counts.items()))


@main.command()
def check() -> None:
    """Make sure RabbitMQ (with its management plugin) is reachable."""
    from yinfa.infra.check import main as check_main

    sys.exit(check_main([]))


def _add_operations_commands() -> None:
    from yinfa.ops.commands import dlq, rebuild, status
    from yinfa.ops.people import erase_volunteer, reconcile_personal_data

    for command in (status, dlq, rebuild, erase_volunteer, reconcile_personal_data):
        main.add_command(command)


_add_operations_commands()

if __name__ == "__main__":
    main()
