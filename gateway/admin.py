"""`yinfa-create-admin --username NAME` (or `python -m gateway.admin`): open the first city
administrator straight in the gateway's store; with `--role county_admin|agency_admin
--unit CODE`, the administrator of one county or one city agency (市直单位).

Written as an `AccountOpened` event like every other account (actor `cli`), so the first
admin is on record too. Needs MONGO_URI (and YINFA_DB_PREFIX, as the services do).
"""
from __future__ import annotations

import sys

import click
from marshmallow import ValidationError

from gateway.accounts.book import AccountBook, DirectStreams
from gateway.roles import ADMINS, CITY_ADMIN
from gateway.schemas import OpenAccountBody
from yinfa.config import load_settings
from yinfa.errors import YinfaError
from yinfa.store.clients import client_for


def create_admin(username: str, password: str, role: str = CITY_ADMIN,
                 unit: str | None = None) -> int:
    settings = load_settings()
    if not settings.mongo_uri:
        click.echo("MONGO_URI is not set: point it at the gateway's database server", err=True)
        return 2
    try:
        # the same checks as POST /accounts: a county admin names a county, an agency
        # admin a city agency, a city admin neither
        command = OpenAccountBody().load({"username": username, "password": password,
                                          "role": role, "county_code": unit})
    except ValidationError as error:
        for field, messages in error.normalized_messages().items():
            click.echo(f"{field}: {' '.join(map(str, messages))}", err=True)
        return 2
    db = client_for(settings.mongo_uri)[settings.database_name("gateway")]
    try:
        account = AccountBook(db, DirectStreams(db, actor="cli")).open(command)
    except YinfaError as error:
        click.echo(f"{username}: {error}", err=True)
        return 1
    click.echo(f"opened {account['username']} ({account['role']}) in {db.name}")
    return 0


@click.command()
@click.option("--username", required=True, help="Login name of the administrator.")
@click.option("--role", type=click.Choice(ADMINS), default=CITY_ADMIN, show_default=True,
              help="The city's, a county's or a city agency's administrator.")
@click.option("--unit", default=None, metavar="CODE",
              help="The county (county_admin) or city agency (agency_admin) code.")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              envvar="YINFA_ADMIN_PASSWORD", help="Asked for unless YINFA_ADMIN_PASSWORD is set.")
def main(username: str, password: str, role: str, unit: str | None) -> None:
    """Open an administrator account of the gateway (needs MONGO_URI): the first city
    administrator, or a county's or city agency's."""
    sys.exit(create_admin(username, password, role, unit))


if __name__ == "__main__":
    main()
