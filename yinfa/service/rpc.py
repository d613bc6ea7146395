"""The `@rpc` entrypoint of yinfa's services: nameko's, except that a reply the broker
cannot take does not stop the service.

nameko publishes an RPC reply from the worker; when the broker connection is gone (a
broker restart, a network cut) the error escapes the worker and nameko kills the whole
container. Here the request is requeued instead (or left unacked, which the broker
requeues itself when the channel is gone) and the worker ends normally. The caller times
out or retries as for any lost reply, and the request runs again: commands are idempotent
by stream version and client-chosen ids (a repeat is refused or skipped, never written
twice), queries change nothing.
"""
from __future__ import annotations

import logging
from typing import Any

import amqp.exceptions
import kombu.exceptions
from nameko import rpc as nameko_rpc

import yinfa.service.remote_errors  # noqa: F401 - errors cross RPC as their own classes

log = logging.getLogger(__name__)

# What a publish raises when the broker is unreachable or drops the channel.
BROKER_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    kombu.exceptions.OperationalError,
    amqp.exceptions.ConnectionError,
    amqp.exceptions.ChannelError,
    amqp.exceptions.MessageNacked,
)


class Rpc(nameko_rpc.Rpc):
    """Named `Rpc` like nameko's: metrics label entrypoints by their class name."""

    def handle_result(self, message: Any, worker_ctx: Any, result: Any,
                      exc_info: Any) -> tuple[Any, Any]:
        try:
            return super().handle_result(message, worker_ctx, result, exc_info)
        except BROKER_ERRORS as error:
            # method name and error only: arguments and results may hold personal data
            log.warning("reply of %s.%s not sent (%s: %s); the request is requeued to run "
                        "again", self.container.service_name, self.method_name,
                        type(error).__name__, error)
            self._requeue(message)
            return result, exc_info

    def _requeue(self, message: Any) -> None:
        try:
            self.rpc_consumer.requeue_message(message)
        except Exception:  # noqa: BLE001 - a dead channel: the broker requeues unacked messages
            log.debug("requeue failed; the broker requeues the unacked request", exc_info=True)


rpc = Rpc.decorator
