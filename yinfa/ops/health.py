"""`python -m yinfa.ops.health`: a health probe that exits 0 (healthy) or 1.

Two modes:

- `python -m yinfa.ops.health <service>` calls the service's `health` RPC through the
  broker with a timeout and exits 0 on an answer, 1 on none (broker unreachable, no
  consumer, timeout, remote error). The RPC goes to *any* running replica, so it proves
  "the service answers through this broker", not "this very process answers".
- `python -m yinfa.ops.health --http [--live]` asks this very process: it GETs
  `/health/ready` (or `/health/live`) of the local operations endpoint
  (`http://127.0.0.1:$YINFA_OPS_PORT`, see `yinfa.ops.server`) and exits 0 on 200.
  `--url` probes another address.
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
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


def local_url(live: bool = False, port: int | None = None) -> str:
    from yinfa.config import DEFAULT_OPS_PORT
    from yinfa.ops.server import LIVE, READY, ops_port

    port = port or ops_port() or DEFAULT_OPS_PORT
    return f"http://127.0.0.1:{port}{LIVE if live else READY}"


def probe_http(url: str, timeout: float = DEFAULT_TIMEOUT) -> tuple[int, dict]:
    """(status, JSON body) of an ops endpoint; a 503 is an answer, not an error."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        body = error.read()
        try:
            return error.code, json.loads(body or b"{}")
        except ValueError:
            return error.code, {"body": body.decode("utf-8", "replace")[:500]}


def main(argv: Sequence[str] | None = None) -> int:
    from yinfa.catalog import SERVICES
    from yinfa.config import load_settings

    parser = argparse.ArgumentParser(prog="python -m yinfa.ops.health", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("service", nargs="?", choices=sorted(SERVICES),
                        help="the service whose health RPC to call (RPC mode)")
    parser.add_argument("--http", action="store_true",
                        help="probe this process's ops endpoint instead of the RPC")
    parser.add_argument("--live", action="store_true",
                        help="with --http: liveness (/health/live) instead of readiness")
    parser.add_argument("--url", help="with --http: the full URL to probe")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                        help="seconds to wait for the answer (default %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="print nothing on success")
    args = parser.parse_args(argv)
    if args.http:
        return _http_main(args)
    if args.service is None:
        parser.error("name a service, or use --http")
    try:
        answer = check(args.service, load_settings().amqp_uri, args.timeout)
    except Exception as exc:  # any failure means "not healthy": the exit code says so
        print(f"{args.service}: unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{args.service}: healthy: {answer}")
    return 0


def _http_main(args: argparse.Namespace) -> int:
    url = args.url or local_url(live=args.live)
    try:
        status, body = probe_http(url, args.timeout)
    except Exception as exc:  # refused, timed out, not JSON: all mean "unhealthy"
        print(f"{url}: unhealthy: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    if status != 200:
        print(f"{url}: unhealthy ({status}): {json.dumps(body, ensure_ascii=False)}",
              file=sys.stderr)
        return 1
    if not args.quiet:
        print(f"{url}: healthy: {json.dumps(body, ensure_ascii=False)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
