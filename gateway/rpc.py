"""RPC to the services with a deadline: a slow or missing service is a 503, not a hang.

Calls go through nameko's own reply listener (one reply queue per gateway instance).
The request id and the caller travel as nameko context data, which the services'
event store copies onto every event as `correlation_id` and `actor`.
"""
from __future__ import annotations

import logging
from typing import Any

import eventlet
from amqp.exceptions import AMQPError
from kombu.exceptions import KombuError
from nameko.exceptions import (
    IncorrectSignature,
    MethodNotFound,
    RemoteError,
    UnknownService,
)
from nameko.rpc import RpcProxy, ServiceProxy

from gateway.problem import (
    STORE_OUTAGES,
    Problem,
    from_service_error,
    store_unavailable,
    unavailable,
)
from gateway.settings import gateway_settings
from yinfa.errors import YinfaError
from yinfa.service.remote_errors import REMOTE_ERRORS  # noqa: F401 - registered: own classes

log = logging.getLogger(__name__)


class NotProvided(Problem):
    """The service does not offer this method (yet): the route exists, the work does not."""

    def __init__(self, service: str, method: str) -> None:
        super().__init__(501, "not_implemented",
                         f"The {service} service does not offer {method} yet.")


class ServiceCalls:
    """What a worker sees: `calls.call("volunteers", "get_volunteer", vid)`."""

    def __init__(self, worker_ctx: Any, reply_listener: Any, timeout: float,
                 retry_after: int) -> None:
        self.worker_ctx = worker_ctx
        self.reply_listener = reply_listener
        self.timeout = timeout
        self.retry_after = retry_after

    def set_context(self, **data: str) -> None:
        """Context data for every later call of this worker (correlation id, actor)."""
        self.worker_ctx.data.update({k: v for k, v in data.items() if v})

    def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any:
        proxy = ServiceProxy(self.worker_ctx, service, self.reply_listener)
        reply = None
        try:
            with eventlet.Timeout(self.timeout):
                reply = getattr(proxy, method).call_async(*args, **kwargs)
                return reply.result()
        except eventlet.Timeout:
            log.warning("%s.%s gave no answer within %.1f s", service, method, self.timeout)
            self._forget(reply)
            raise unavailable(service, self.retry_after) from None
        except UnknownService:
            raise unavailable(service, self.retry_after) from None
        except (OSError, KombuError, AMQPError) as error:  # the broker itself is away
            log.warning("%s.%s: no broker connection: %s", service, method, error)
            raise unavailable(service, self.retry_after) from None
        except (MethodNotFound, IncorrectSignature):
            raise NotProvided(service, method) from None
        except YinfaError as error:
            raise from_service_error(error) from error
        except RemoteError as error:
            if error.exc_type in STORE_OUTAGES:
                log.warning("%s.%s: its store is away: %s", service, method, error)
                raise store_unavailable(self.retry_after) from None
            log.error("%s.%s failed: %s", service, method, error)
            raise Problem(502, "upstream_error",
                          f"The {service} service failed to answer.") from error


    def _forget(self, reply: Any) -> None:
        """Stop waiting for a reply that may never come (nameko would keep it forever)."""
        if reply is None:
            return
        waiting = self.reply_listener._reply_events
        for correlation_id, event in list(waiting.items()):
            if event is reply.reply_event:
                waiting.pop(correlation_id, None)


class TimedRpc(RpcProxy):
    """An RPC dependency not bound to one service, with the configured deadline."""

    def __init__(self) -> None:
        super().__init__(target_service="")

    def setup(self) -> None:
        settings = gateway_settings(self.container.config)
        self.timeout = settings.rpc_timeout
        self.retry_after = settings.retry_after

    def get_dependency(self, worker_ctx: Any) -> ServiceCalls:
        return ServiceCalls(worker_ctx, self.rpc_reply_listener, self.timeout,
                            self.retry_after)
