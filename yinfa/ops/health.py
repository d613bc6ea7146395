"""`python -m yinfa.ops.health <service>`: exit 0 when the service answers its `health` RPC.

nameko serves no HTTP, so containers cannot be probed over a port. This command is the
probe instead (docker-compose healthcheck, Kubernetes exec probes): it calls the
service's `health` RPC through the broker with a timeout and exits 0 on an answer, 1 on
none (broker unreachable, no consumer, timeout, remote error).

The RPC goes to *any* running replica of the service, so it proves "the service answers
through this broker", not "this very process answers"; a per-process check needs a local
endpoint (see issue 8).
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

DEFAULT_TIMEOUT = 5.0


def check(service: str, amqp_uri: str, timeout: float = DEFAULT_TIMEOUT) -> dict:
    """The service's health answer; raises on no answer within `timeout` seconds."""
    from nameko.standalone.rpc import ClusterRpcProxy

    config = {"AMQP_URI": amqp_uri, "serializer": "json"}
    with ClusterRpcProxy(config, timeout=timeout) as cluster:
        answer = getattr(cluster, service).health()
    if not isinstance(answer, dict) or answer.get("service") != service:
        raise RuntimeError(f"unexpected health answer: {answer!r}")
    return answer


def main(argv: Sequence[str] | None = None) -> int:
    from yinfa.catalog import SERVICES
    from yinfa.config import load_settings

    parser = argparse.ArgumentParser(prog="python -m yinfa.ops.health", description=__doc__)
    parser.add_argument("service", choices=sorted(SERVICES))
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds to wait for the answer (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    try:
        answer = check(args.service, load_settings().amqp_uri, args.timeout)
    except Exception as exc:  # any failure means "not healthy": the exit code says so
        print(f"{args.service}: unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{args.service}: healthy: {answer}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
