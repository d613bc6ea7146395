"""Operator commands about people's personal data: erasure (PIPL art. 47) and the
reconciliation that finds registered people whose personal data is missing."""
from __future__ import annotations

import sys
from typing import Any

import click

from yinfa.config import load_settings

RPC_TIMEOUT = 30.0


def _volunteers(method: str, *args: Any) -> Any:
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": load_settings().amqp_uri, "serializer": "json"}
    with ClusterRpcProxy(config, timeout=RPC_TIMEOUT) as cluster:
        return getattr(cluster.volunteers, method)(*args)


@click.command("erase-volunteer")
@click.argument("volunteer_id")
@click.option("--basis", default="person_request", show_default=True,
              type=click.Choice(["person_request", "retention_ended", "consent_withdrawn"]))
def erase_volunteer(volunteer_id: str, basis: str) -> None:
    """Erase VOLUNTEER_ID's personal data: their data key is destroyed and every replica
    drops what it holds; hours and star levels stay, anonymous."""
    from nameko.exceptions import RemoteError

    from yinfa.errors import YinfaError

    try:
        answer = _volunteers("erase_volunteer", {"volunteer_id": volunteer_id, "basis": basis})
    except (RemoteError, YinfaError) as error:
        click.echo(f"error: {getattr(error, 'value', error)}", err=True)
        sys.exit(1)
    click.echo(f"erased {answer['volunteer_id']} (status {answer['status']})")


@click.command("reconcile-personal-data")
def reconcile_personal_data() -> None:
    """List registered people whose personal data is missing; exit 1 if there are any."""
    missing = _volunteers("volunteers_without_personal_data")
    for volunteer_id in missing:
        click.echo(volunteer_id)
    click.echo(f"{len(missing)} volunteer(s) without personal data", err=True)
    sys.exit(1 if missing else 0)
