"""The operations commands of `yinfa`: status, dlq, rebuild (registered in yinfa.cli).

They reach the platform as an operator would: the broker at `AMQP_URI` (services' RPCs,
the dead-letter queues) and the RabbitMQ management API (`YINFA_RABBIT_API`, else
`RABBIT_CTL_URI`, else port 15672 on the broker's host).
"""
from __future__ import annotations

import json
import logging
import sys
import warnings

import click

from yinfa.config import load_settings


def _quiet() -> None:
    """Keep library chatter off an operator's terminal: eventlet's deprecation notice
    (imported by nameko) and amqp's notes about frames arriving while a channel closes."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import eventlet  # noqa: F401
    logging.getLogger("amqp").setLevel(logging.ERROR)


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@click.command()
@click.option("--timeout", default=3.0, show_default=True,
              help="Seconds to wait for each service's health answer.")
def status(timeout: float) -> None:
    """Services, their health, lags, queues, consumers and dead letters, in one table."""
    _quiet()
    from yinfa.catalog import SERVICES
    from yinfa.ops.rabbit_api import ManagementApi, ManagementApiError
    from yinfa.ops.status import gather_health, render_status, rpc_health

    amqp_uri = load_settings().amqp_uri
    try:
        queues = ManagementApi.from_env().queues()
    except ManagementApiError as error:
        _fail(str(error))
        return
    healths = gather_health(SERVICES, rpc_health(amqp_uri, timeout))
    click.echo(render_status(list(SERVICES), healths, queues))


@click.group()
def dlq() -> None:
    """Dead-letter queues (`dlq.<consumer>`): list, show, retry, discard."""
    _quiet()


@dlq.command("list")
def dlq_list() -> None:
    """Every dead-letter queue with how many messages wait in it."""
    from yinfa.ops.dlq import DeadLetterQueues, consumers_with_dead_letters
    from yinfa.ops.rabbit_api import ManagementApi, ManagementApiError
    from yinfa.ops.table import render

    try:
        names = [q.name for q in ManagementApi.from_env().queues()]
    except ManagementApiError as error:
        _fail(str(error))
        return
    counts = DeadLetterQueues(load_settings().amqp_uri).counts(
        consumers_with_dead_letters(names))
    click.echo(render(("CONSUMER", "QUEUE", "MESSAGES"),
                      [(consumer, f"dlq.{consumer}", count)
                       for consumer, count in sorted(counts.items())]))


@dlq.command("show")
@click.argument("consumer")
@click.option("--limit", default=20, show_default=True, help="Show at most this many.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message.")
def dlq_show(consumer: str, limit: int, as_json: bool) -> None:
    """The messages of dlq.CONSUMER (they stay in the queue)."""
    from yinfa.ops.dlq import DeadLetterQueues, DlqError
    from yinfa.ops.table import render

    try:
        letters = DeadLetterQueues(load_settings().amqp_uri).show(consumer, limit)
    except DlqError as error:
        _fail(str(error))
        return
    if as_json:
        for letter in letters:
            click.echo(json.dumps(letter.as_dict(), ensure_ascii=False))
        return
    click.echo(render(("ID", "TYPE", "DEAD-LETTERED AT", "REASON"),
                      [(lt.id, lt.event_type, lt.dead_lettered_at, lt.reason[:120])
                       for lt in letters]))


def _selection(ids: tuple[str, ...], every: bool) -> list[str] | None:
    if bool(ids) == every:
        raise click.UsageError("name message ids, or pass --all (not both)")
    return None if every else list(ids)


@dlq.command("retry")
@click.argument("consumer")
@click.argument("ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every message of the queue.")
@click.option("--queue", help="Send to this queue (default: the one it came from).")
def dlq_retry(consumer: str, ids: tuple[str, ...], every: bool, queue: str | None) -> None:
    """Send messages of dlq.CONSUMER back to the queue they came from."""
    from yinfa.ops.dlq import DeadLetterQueues, DlqError, retry_target
    from yinfa.ops.rabbit_api import ManagementApi, ManagementApiError

    selection = _selection(ids, every)
    try:
        names = [q.name for q in ManagementApi.from_env().queues()]
    except ManagementApiError:
        names = []  # only needed for messages that do not say where they came from
    try:
        retried, left = DeadLetterQueues(load_settings().amqp_uri).retry(
            consumer, selection, retry_target(consumer, names, queue))
    except DlqError as error:
        _fail(str(error))
        return
    click.echo(f"retried {len(retried)} message(s) from dlq.{consumer}")
    for message_id in retried:
        click.echo(f"  {message_id}")
    _report_missing(selection, retried + left)
    if left:
        click.echo(f"left {len(left)} message(s) that name no queue; use --queue", err=True)
        sys.exit(1)


@dlq.command("discard")
@click.argument("consumer")
@click.argument("ids", nargs=-1)
@click.option("--all", "every", is_flag=True, help="Every message of the queue.")
def dlq_discard(consumer: str, ids: tuple[str, ...], every: bool) -> None:
    """Delete messages from dlq.CONSUMER for good."""
    from yinfa.ops.dlq import DeadLetterQueues, DlqError

    selection = _selection(ids, every)
    try:
        removed = DeadLetterQueues(load_settings().amqp_uri).discard(consumer, selection)
    except DlqError as error:
        _fail(str(error))
        return
    click.echo(f"discarded {len(removed)} message(s) from dlq.{consumer}")
    for message_id in removed:
        click.echo(f"  {message_id}")
    _report_missing(selection, removed)


def _report_missing(selection: list[str] | None, found: list[str]) -> None:
    missing = sorted(set(selection or ()) - set(found))
    if missing:
        click.echo(f"not found: {', '.join(missing)}", err=True)
        sys.exit(1)


@click.command()
@click.argument("service")
@click.argument("projection", required=False)
@click.option("--from-sources", is_flag=True,
              help="Services with a background rebuild (scoring): first read the sources' "
                   "events again.")
def rebuild(service: str, projection: str | None, from_sources: bool) -> None:
    """Fold SERVICE's read models again from the events, with a progress bar.

    The views of a service share one checkpoint and are rebuilt together; PROJECTION
    (a view's collection) only checks that it is one of them.
    """
    _quiet()
    from yinfa.catalog import SERVICES
    from yinfa.ops.rebuild import (
        RebuildError,
        has_background_rebuild,
        run_background_with_bar,
        run_with_bar,
        view_collections,
    )

    if service not in SERVICES:
        raise click.UsageError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")
    if has_background_rebuild(service):
        if projection is not None:
            raise click.UsageError(f"{service} rebuilds its fold as a whole: name no projection")
        try:
            answer, seconds = run_background_with_bar(load_settings().amqp_uri, service,
                                                      from_sources)
        except RebuildError as error:
            _fail(str(error))
            return
        click.echo(f"rebuilt {service}: {answer.get('folded', 0)} events folded "
                   f"in {seconds:.1f} s")
        return
    if from_sources:
        raise click.UsageError(f"{service} rebuilds from its own events only")
    views = view_collections(service)
    if not views:
        _fail(f"{service} keeps no views of its own events to rebuild")
    if projection is not None and projection not in views:
        raise click.UsageError(f"{service} has no view {projection!r}; "
                               f"its views: {', '.join(views)}")
    try:
        events, seconds = run_with_bar(load_settings().amqp_uri, service)
    except RebuildError as error:
        _fail(str(error))
        return
    click.echo(f"rebuilt {', '.join(views)} of {service} from {events} events "
               f"in {seconds:.1f} s")
