"""A partner's own broker user (`yinfa-partner-user`): it follows its profile's part of
`partners.feed` and can do nothing else on the broker."""
from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import amqp
import pytest
from polling import eventually

from services.feeds.broker_users import grant, partner_grant
from services.feeds.partners_exchange import PARTNERS_EXCHANGE
from yinfa.ops.rabbit_api import ManagementApi

pytestmark = pytest.mark.integration


@pytest.fixture
def broker(rabbit_config, request):
    api = ManagementApi(request.config.getoption("RABBIT_API_URI"), rabbit_config["vhost"])
    host = urlsplit(rabbit_config["AMQP_URI"]).hostname
    with amqp.Connection(host=f"{host}:5672", userid="guest", password="guest",
                         virtual_host=rabbit_config["vhost"]) as admin:
        admin.connect()
        admin.channel().exchange_declare(PARTNERS_EXCHANGE, "topic", durable=True,
                                         auto_delete=False)
        yield api, host, admin


@pytest.fixture
def partner_user(broker):
    api, host, _ = broker
    wanted = partner_grant(f"mca-{uuid.uuid4().hex[:8]}", "mca")
    password = uuid.uuid4().hex
    grant(api, wanted, password)

    def connect() -> amqp.Connection:
        connection = amqp.Connection(host=f"{host}:5672", userid=wanted.user,
                                     password=password, virtual_host=api.vhost)
        connection.connect()
        return connection

    yield wanted, connect
    api.delete_user(wanted.user)


def refused(action) -> bool:
    try:
        action()
    except amqp.exceptions.AccessRefused:
        return True
    return False


def test_a_partner_reads_its_profiles_messages_from_its_own_queue(broker, partner_user):
    _, _, admin = broker
    wanted, connect = partner_user
    queue = f"{wanted.queue_prefix}hours"
    with connect() as connection:
        channel = connection.channel()
        channel.queue_declare(queue, durable=True, auto_delete=False)
        channel.queue_bind(queue, PARTNERS_EXCHANGE, "mca.#")
        admin.channel().basic_publish(amqp.Message('{"type": "HoursRecorded"}'),
                                      PARTNERS_EXCHANGE, "mca.HoursRecorded")
        admin.channel().basic_publish(amqp.Message('{"type": "HoursRecorded"}'),
                                      PARTNERS_EXCHANGE, "nhc.HoursRecorded")
        first = eventually(lambda: channel.basic_get(queue, no_ack=True), timeout=10)
        assert first.delivery_info["routing_key"] == "mca.HoursRecorded"
        assert channel.basic_get(queue, no_ack=True) is None  # not another profile's


def test_a_partner_cannot_bind_another_profiles_keys(partner_user):
    wanted, connect = partner_user
    queue = f"{wanted.queue_prefix}all"
    with connect() as connection:
        connection.channel().queue_declare(queue, durable=True, auto_delete=False)
    with connect() as connection:
        assert refused(lambda: connection.channel().queue_bind(queue, PARTNERS_EXCHANGE, "#"))
    with connect() as connection:
        assert refused(lambda: connection.channel().queue_bind(queue, PARTNERS_EXCHANGE,
                                                               "nhc.#"))


def test_a_partner_cannot_touch_queues_but_its_own_nor_publish(broker, partner_user):
    _, _, admin = broker
    admin.channel().queue_declare("evt-volunteers-x--scoring.handle", durable=True,
                                  auto_delete=False)
    wanted, connect = partner_user
    with connect() as connection:
        assert refused(lambda: connection.channel().queue_declare("partner.other.q"))
    with connect() as connection:
        assert refused(lambda: connection.channel().basic_get(
            "evt-volunteers-x--scoring.handle"))
    with connect() as connection:
        channel = connection.channel()
        channel.basic_publish(amqp.Message("{}"), PARTNERS_EXCHANGE, "mca.HoursRecorded")
        assert refused(lambda: channel.queue_declare(f"{wanted.queue_prefix}after"))


@pytest.mark.parametrize("partner, profile", [("mca", "mca|x"), ("a.b", "mca"), ("", "mca"),
                                              ("mca", ".*")])
def test_names_that_would_widen_a_pattern_are_refused(partner, profile):
    with pytest.raises(ValueError):
        partner_grant(partner, profile)
