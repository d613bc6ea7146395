"""The `yinfa` command: run services, check the infrastructure, operate the stores."""
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

    from yinfa.catalog import SERVICES, imported
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
    counts: dict[str, int] = {}
    for name, service in SERVICES.items():
        if service.migrate is not None:
            rewrite = imported(service.migrate)
            counts.update(rewrite(client[settings.database_name(name)]))
    if not skip_queues:
        counts["queued"] = _rewrite_waiting_messages(settings.amqp_uri)
    click.echo(" ".join(f"{name}={count}" for name, count in counts.items()))


def _rewrite_waiting_messages(amqp_uri: str) -> int:
    """Messages still waiting in the broker's queues (dead letters included) that carry an
    event of a version with personal data are rewritten at the current version."""
    import json

    from yinfa.catalog import SERVICES, imported
    from yinfa.ops.queue_rewrite import rewrite_queues
    from yinfa.ops.rabbit_api import ManagementApi

    rewrites = [imported(service.current_message) for service in SERVICES.values()
                if service.current_message is not None]

    def current(envelope: Any) -> Any:
        if isinstance(envelope, dict):
            for rewrite in rewrites:  # each rewrites its own service's events only
                envelope = rewrite(envelope)
        return envelope

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
    from pymongo import MongoClient

    from yinfa.config import load_settings
    from yinfa.ops.rotate import SEALED, rotate
    from yinfa.sealed import master_from_text, master_key
    from yinfa.secrets import MASTER_KEY, SecretMissing, secret_text

    settings = load_settings()
    if not settings.mongo_uri:
        raise click.UsageError("set MONGO_URI to the store whose keys to rotate")
    old_text = settings.secrets.get("YINFA_OLD_MASTER_KEY", "")
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
    from yinfa.ops.city_transfers import transfer_in, transfer_keys, transfer_out
    from yinfa.ops.commands import dlq, rebuild, status
    from yinfa.ops.people import erase_volunteer, reconcile_personal_data

    for command in (status, dlq, rebuild, erase_volunteer, reconcile_personal_data,
                    transfer_keys, transfer_out, transfer_in):
        main.add_command(command)


_add_operations_commands()

if __name__ == "__main__":
    main()
