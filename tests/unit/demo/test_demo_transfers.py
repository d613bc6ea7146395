"""The demo transfers a few volunteers as bureaus would: asked, accepted, released, and a
few left waiting; every command passes its schema, and who serves where follows."""
from __future__ import annotations

from contracts.volunteers import commands
from demo.loader import pipelined
from demo.transfers_loader import transfer_some

TINGHU, YANDU, DAFENG = "320902", "320903", "320904"


class Sent:
    def __init__(self) -> None:
        self.payloads: list[dict] = []

    def call_async(self, payload: dict) -> Sent:
        self.payloads.append(payload)
        return self

    def result(self) -> None:
        return None


class Service:
    def __init__(self) -> None:
        for name in ("request_transfer", "accept_transfer", "release_transfer"):
            setattr(self, name, Sent())


def uuid(county: str, n: int) -> str:
    return f"00000000-0000-4000-8000-{county}{n:06d}"


def test_one_volunteer_of_each_large_county_moves_on_and_some_wait():
    serving = {TINGHU: [uuid(TINGHU, n) for n in range(12)],
               YANDU: [uuid(YANDU, n) for n in range(10)],
               DAFENG: [uuid(DAFENG, n) for n in range(3)]}
    service = Service()

    after = transfer_some(service, serving, lambda _: None, pipelined)

    asked = service.request_transfer.payloads
    assert len(asked) == 4 and len(service.release_transfer.payloads) == 2
    assert uuid(TINGHU, 11) in after[YANDU] and uuid(TINGHU, 11) not in after[TINGHU]
    assert uuid(YANDU, 9) in after[DAFENG]
    assert sum(map(len, after.values())) == sum(map(len, serving.values()))
    for schema, sent in ((commands.RequestTransfer, asked),
                         (commands.AcceptTransfer, service.accept_transfer.payloads),
                         (commands.ReleaseTransfer, service.release_transfer.payloads)):
        for payload in sent:
            commands.load_command(schema, payload)
