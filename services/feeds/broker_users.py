"""`yinfa-partner-user PARTNER PROFILE`: a partner agency's own broker user, for following
the `partners.feed` exchange over AMQP (docs/feeds.md).

The user may declare, bind and read only queues named `partner.<partner>.<anything>`, may
read (bind to) `partners.feed` and nothing else, may publish nowhere, and may bind only
routing keys of its own profile (`<profile>.#`, `<profile>.HoursRecorded`): a topic
permission whose read pattern is `^<profile>\\.`. Run again, it gives the user a new
password (printed once) and sets the same permissions; `--remove` deletes the user.
"""
from __future__ import annotations

import re
import secrets
import sys
from dataclasses import dataclass

import click

from contracts.feeds.profiles import PROFILE_NAME
from services.feeds.partners_exchange import PARTNERS_EXCHANGE
from yinfa.ops.rabbit_api import ManagementApi, ManagementApiError

PARTNER_NAME = r"^[a-z][a-z0-9-]{1,39}$"
NOTHING = "^$"


@dataclass(frozen=True)
class PartnerGrant:
    user: str
    queue_prefix: str
    configure: str
    write: str
    read: str
    topic_read: str


def partner_grant(partner: str, profile: str) -> PartnerGrant:
    """What a partner's broker user may do; names are checked so that they cannot widen a
    pattern (they hold no regex characters but '-')."""
    if not re.match(PARTNER_NAME, partner):
        raise ValueError(f"not a partner name: {partner!r} (a-z, 0-9, '-')")
    if not re.match(PROFILE_NAME, profile):
        raise ValueError(f"not a profile name: {profile!r} (a-z, 0-9, '-')")
    own_queues = rf"^partner\.{partner}\..+$"
    return PartnerGrant(
        user=f"partner-{partner}", queue_prefix=f"partner.{partner}.",
        configure=own_queues,
        write=own_queues,  # binding writes to the queue
        read=rf"^(partner\.{partner}\..+|{re.escape(PARTNERS_EXCHANGE)})$",
        topic_read=rf"^{profile}\.")


def grant(api: ManagementApi, grant: PartnerGrant, password: str) -> None:
    api.put_user(grant.user, password)
    api.put_permissions(grant.user, grant.configure, grant.write, grant.read)
    api.put_topic_permissions(grant.user, PARTNERS_EXCHANGE, write=NOTHING,
                              read=grant.topic_read)


@click.command()
@click.argument("partner")
@click.argument("profile")
@click.option("--remove", is_flag=True, help="Delete the partner's broker user.")
def main(partner: str, profile: str, remove: bool) -> None:
    """Create (or renew) PARTNER's broker user, reading PROFILE's part of partners.feed."""
    try:
        wanted = partner_grant(partner, profile)
    except ValueError as error:
        raise click.BadParameter(str(error)) from error
    api = ManagementApi.from_env()
    try:
        if remove:
            api.delete_user(wanted.user)
            click.echo(f"removed broker user {wanted.user}")
            return
        password = secrets.token_urlsafe(24)
        grant(api, wanted, password)
    except ManagementApiError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"broker user: {wanted.user}\npassword: {password}  (shown once)\n"
               f"vhost: {api.vhost}\nqueues: {wanted.queue_prefix}<name>, bound to "
               f"{PARTNERS_EXCHANGE} with {profile}.# or {profile}.<EventType>")


if __name__ == "__main__":
    main()
