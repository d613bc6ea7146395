"""The kinds and themes of activities, asked of the activities service (which owns them)
when a transfer package tells where a volunteer's hours were served."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from nameko.extensions import DependencyProvider
from nameko.standalone.rpc import ClusterRpcProxy

from yinfa.errors import DomainRuleViolated

TIMEOUT = 10.0
Facts = Callable[[list[str]], Mapping[str, Mapping[str, Any]]]


class ActivityFacts(DependencyProvider):
    """`facts(activity_ids)` -> {activity id: {kind, theme}}; no call for no ids."""

    def get_dependency(self, worker_ctx: Any) -> Facts:
        config = {"AMQP_URI": self.container.config["AMQP_URI"], "serializer": "json"}

        def facts(activity_ids: list[str]) -> Mapping[str, Mapping[str, Any]]:
            if not activity_ids:
                return {}
            try:
                with ClusterRpcProxy(config, timeout=TIMEOUT) as cluster:
                    return dict(cluster.activities.activity_facts(activity_ids))
            except Exception as error:  # noqa: BLE001 - unreachable, unknown or timed out
                raise DomainRuleViolated(
                    "the activities service did not answer the kinds and themes of the "
                    f"volunteer's activities ({type(error).__name__}): try again",
                    field="volunteer_id") from None

        return facts
