"""`python -m yinfa.infra.check [--export]`: make sure RabbitMQ is usable.

Without flags it prints one line per component (passwords masked). With
`--export` it prints `export AMQP_URI=... RABBIT_CTL_URI=...` lines for
`eval "$(python -m yinfa.infra.check --export)"`; progress goes to stderr so
that stdout stays eval-able. Exits 1 with the reason when something is missing.
"""

from __future__ import annotations

import argparse
import logging
import shlex
import sys
from dataclasses import replace

from yinfa.config import settings
from yinfa.infra.broker import BrokerUnavailable, ensure_broker, ensure_management, mask_uri


def _line(label: str, uri: str, actions: tuple[str, ...]) -> str:
    done = f" ({', '.join(actions)})" if actions else ""
    return f"{label}: {mask_uri(uri)}{done}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m yinfa.infra.check", description=__doc__)
    parser.add_argument("--export", action="store_true", help="print shell export lines")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="check: %(message)s")
    try:
        broker = ensure_broker()
        # The management URI follows AMQP_URI's host when RABBIT_CTL_URI is unset.
        management = ensure_management(replace(settings(), amqp_uri=broker.uri))
    except BrokerUnavailable as exc:
        print(f"RabbitMQ unavailable: {exc}", file=sys.stderr)
        return 1
    if args.export:
        print(f"export AMQP_URI={shlex.quote(broker.uri)}")
        print(f"export RABBIT_CTL_URI={shlex.quote(management.uri)}")
        for action in broker.actions + management.actions:
            print(f"check: {action}", file=sys.stderr)
    else:
        print(_line("broker", broker.uri, broker.actions))
        print(_line("management", management.uri, management.actions))
    return 0


if __name__ == "__main__":
    sys.exit(main())
