"""Operator commands of moving between cities: the city's transfer keys, and packages
released or imported from the command line (the same RPCs the gateway calls)."""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import yaml

RPC_TIMEOUT = 60.0
READ_LIMIT = 2 * 1024 * 1024  # the service refuses above its own limit (1 MiB)


@click.command("transfer-keys")
@click.option("--public", "public_only", is_flag=True,
              help="Print this city's trust-list entry from YINFA_TRANSFER_KEY instead of "
                   "making a new key.")
def transfer_keys(public_only: bool) -> None:
    """Make a new city transfer key (YINFA_TRANSFER_KEY) and print the trust-list entry
    other cities add for this one; with --public, print the entry of the key set."""
    from yinfa.city_packages import CityKeys, new_secret
    from yinfa.city_trust import own_keys
    from yinfa.reference import load_city
    from yinfa.secrets import SecretMissing, key_material

    city = load_city()
    if public_only:
        try:
            keys = own_keys()
        except SecretMissing as missing:
            raise click.ClickException(str(missing)) from None
    else:
        secret = new_secret()
        keys = CityKeys.from_secret(key_material(secret))
        click.echo("# keep secret: set it as YINFA_TRANSFER_KEY of the volunteers service",
                   err=True)
        click.echo(f"YINFA_TRANSFER_KEY={secret}")
        click.echo("# give to the cities this one exchanges packages with, for their "
                   "reference/transfer_trust.yaml:", err=True)
    entry = [{"code": city.code, "name": city.name, **keys.public()}]
    click.echo(yaml.safe_dump(entry, allow_unicode=True, sort_keys=False).rstrip())


def _volunteers(method: str, *args: Any) -> Any:
    from nameko.standalone.rpc import ClusterRpcProxy

    import yinfa.service.remote_errors  # noqa: F401 - the services' errors as themselves
    from yinfa.config import load_settings

    config = {"AMQP_URI": load_settings().amqp_uri, "serializer": "json"}
    with ClusterRpcProxy(config, timeout=RPC_TIMEOUT) as cluster:
        return getattr(cluster.volunteers, method)(*args)


def _refused(error: Exception) -> None:
    errors = getattr(error, "errors", None)
    click.echo(f"refused: {error}" + (f" {errors}" if errors else ""), err=True)
    sys.exit(1)


@click.command("transfer-out")
@click.argument("volunteer_id")
@click.option("--to-city", required=True, help="The receiving city's code (trust list).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="Where to write the package.")
def transfer_out(volunteer_id: str, to_city: str, output: Path) -> None:
    """Release VOLUNTEER_ID to another city, as the city bureau, and write the signed,
    encrypted transfer package (run it again to have the same package issued again)."""
    from yinfa.errors import YinfaError

    try:
        answer = _volunteers("transfer_out_of_city",
                             {"volunteer_id": volunteer_id, "to_city": to_city})
    except YinfaError as error:
        _refused(error)
    output.write_text(answer["package"], encoding="ascii")
    click.echo(f"released {volunteer_id} to city {to_city}: package {answer['package_id']} "
               f"in {output} (valid until {answer['expires_at']})")


@click.command("transfer-in")
@click.argument("package", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--county", required=True, help="The receiving county's code.")
def transfer_in(package: Path, county: str) -> None:
    """Import a transfer package from another city into COUNTY (once: a second import of
    the same package changes nothing)."""
    from yinfa.errors import YinfaError

    with package.open("rb") as opened:
        data = opened.read(READ_LIMIT + 1)
    if len(data) > READ_LIMIT:
        _refused(click.ClickException(f"the file is larger than {READ_LIMIT} bytes"))
    try:
        answer = _volunteers("transfer_in_from_city", {
            "package": data.decode("utf-8", errors="replace"), "county_code": county})
    except YinfaError as error:
        _refused(error)
    click.echo(f"imported: volunteer {answer['volunteer_id']} in county "
               f"{answer['county_code']} (from city {answer.get('transferred_from')}, "
               f"{answer.get('carried_hours')} hours carried)")
