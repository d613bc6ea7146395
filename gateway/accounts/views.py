"""The account view: one document per account, for login, listing and API-key lookup."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.accounts.account import STREAM_PREFIX, fold
from yinfa.events.envelope import RecordedEvent
from yinfa.projections import StreamView


class AccountView(StreamView):
    collection = "account_view"
    stream_prefix = STREAM_PREFIX

    def document(self, events: Sequence[RecordedEvent]) -> dict[str, Any] | None:
        state = fold(events)
        if state is None:
            return None
        return {
            "username": events[0].stream_id[len(STREAM_PREFIX):],
            "role": state.role,
            "county_code": state.county_code,
            "branch_id": state.branch_id,
            "volunteer_id": state.volunteer_id,
            "active": state.active,
            # key ids as an array: looked up by element; digests beside them
            "api_key_ids": sorted(state.api_keys),
            "api_keys": [{"key_id": k, "label": v["label"], "digest": v["digest"]}
                         for k, v in sorted(state.api_keys.items())],
            "opened_at": events[0].occurred_at.isoformat(),
        }


VIEWS = [AccountView()]
