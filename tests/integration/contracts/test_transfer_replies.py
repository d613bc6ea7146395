"""The volunteers service's answers about transfers between counties are what
`contracts/volunteers/replies.py` publishes (Transfer, TransferList), field for field."""
from __future__ import annotations

from test_replies import TINGHU, YANDU, check, verified

from contracts.volunteers import replies as volunteer_replies
from services.volunteers.service import VolunteersService

ZONE = "320972"


def test_the_transfer_answers_are_as_published(runner_factory, platform_config, rpc_proxy):
    runner_factory(platform_config, VolunteersService).start()
    volunteers = rpc_proxy("volunteers", context_data={"actor": "county:320902"})
    moving, staying, back = (verified(volunteers, seq) for seq in (41, 42, 43))

    def asked(vid: str) -> dict:
        return volunteers.request_transfer({"volunteer_id": vid, "to_county": YANDU,
                                            "reason_code": "moved_home",
                                            "acting_county": TINGHU})

    first, second, third = asked(moving), asked(staying), asked(back)
    on = {"volunteer_id": moving, "transfer_id": first["transfer_id"]}
    check(volunteer_replies.Transfer, first,
          volunteers.accept_transfer({**on, "acting_county": YANDU}),
          volunteers.release_transfer({**on, "acting_county": TINGHU}),
          volunteers.decline_transfer({"volunteer_id": staying,
                                       "transfer_id": second["transfer_id"],
                                       "reason_code": "duplicate_record"}),
          volunteers.cancel_transfer({"volunteer_id": back,
                                      "transfer_id": third["transfer_id"]}),
          volunteers.get_transfer(first["transfer_id"]))
    asked(staying)
    check(volunteer_replies.TransferList,
          volunteers.list_transfers(YANDU, "receiving"),
          volunteers.list_transfers(status="released"),
          volunteers.list_transfers(ZONE))
    assert volunteers.list_transfers(YANDU, "receiving")["total"] == 1
    assert volunteers.get_volunteer(moving)["county_code"] == YANDU
