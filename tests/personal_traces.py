"""Looking for people's data where it must not be: the bytes of a store's files, every
log, and the messages of every dead-letter queue. What is looked for is exact: the demo's
own names, phone numbers and ID numbers, as the demo generated them."""
from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from demo.branches_data import branches_for
from demo.people import volunteers_for
from demo.season import WISHES
from yinfa.ops.dlq import DeadLetterQueues, consumers_with_dead_letters
from yinfa.ops.rabbit_api import ManagementApi, vhost_of
from yinfa.reference import load_city
from yinfa.schemas import city_today


def demo_traces(volunteers: int, seed: int) -> set[str]:
    """Names, phones and full ID numbers of the demo's people (volunteers and branch
    officers), and the words of its micro-wishes, as `python -m demo --volunteers N --seed S`
    makes them."""
    city = load_city()
    traces: set[str] = set()
    for person in volunteers_for(city, volunteers, seed):
        registration = person.registration
        traces |= {registration["name"], registration["phone"], registration["id_number"]}
    for made in branches_for(city, seed, city_today()):
        traces |= {made.establish.get("secretary") or "", made.establish.get("liaison") or ""}
    traces |= {text for _, _, text in WISHES}  # a person in need's own words
    return {trace for trace in traces if trace}


def found_in_files(folder: Path, traces: Iterable[str]) -> dict[str, list[str]]:
    """trace -> files under `folder` whose bytes hold it (UTF-8)."""
    wanted = {trace: trace.encode() for trace in traces}
    found: dict[str, list[str]] = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        content = path.read_bytes()
        for trace, raw in wanted.items():
            if raw in content:
                found.setdefault(trace, []).append(str(path.relative_to(folder)))
    return found


def found_in_dead_letters(amqp_uri: str, rabbit_api_uri: str, traces: Iterable[str]
                          ) -> dict[str, list[str]]:
    """trace -> dead-letter queues holding it in a message (left in the queue)."""
    parts = urlsplit(rabbit_api_uri)
    api = ManagementApi(urlunsplit(parts), vhost_of(amqp_uri))
    consumers = consumers_with_dead_letters([q.name for q in api.queues()])
    queues = DeadLetterQueues(amqp_uri)
    found: dict[str, list[str]] = {}
    for consumer in consumers:
        text = json.dumps([letter.as_dict() for letter in queues.show(consumer)],
                          ensure_ascii=False, default=str)
        for trace in traces:
            if trace in text:
                found.setdefault(trace, []).append(f"dlq.{consumer}")
    return found
