"""Reading a request body safely: bounded size, JSON only, no operator or dotted keys.

Everything that can go wrong here is the client's fault and answers 4xx problem+json;
nothing reaches a service unless it passed.
"""
from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request

from gateway.problem import Problem, bad_request, invalid

MAX_DEPTH = 20
# C0 and C1 controls other than tab and line breaks, lone surrogates, and the bidirectional
# overrides that make a text read otherwise than it is stored
UNSAFE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff"
                         "\u202a-\u202e\u2066-\u2069]")


def too_large(limit: int) -> Problem:
    return Problem(413, "body_too_large", f"The body may be at most {limit} bytes.")


def read_json(request: Request, limit: int) -> Any:
    """The parsed JSON body, or None when there is none."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise too_large(limit)
    raw = request.stream.read(limit + 1)
    if len(raw) > limit:
        raise too_large(limit)
    if not raw.strip():
        return None
    mimetype = request.mimetype or ""
    if mimetype not in ("application/json", "") and not mimetype.endswith("+json"):
        raise Problem(415, "unsupported_media_type", "Send the body as application/json.")
    try:
        body = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise bad_request(f"The body is not valid JSON: {error}") from None
    screen(body)
    return body


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def screen(value: Any, path: str = "", depth: int = 0) -> None:
    """Refuse keys that a document store would read as operators or paths."""
    if depth > MAX_DEPTH:
        raise bad_request("The body is nested too deeply.")
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if key.startswith("$") or "." in key or "\x00" in key:
                raise bad_request("Keys may not start with '$' or contain '.'.",
                                  {where: ["Operator or dotted key refused."]})
            screen(item, where, depth + 1)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            screen(item, f"{path}[{index}]", depth + 1)
    elif isinstance(value, str) and UNSAFE_TEXT.search(value):
        raise invalid({path or "_schema": [
            "Control characters (NUL, escapes, direction overrides) are not accepted."]})


def screen_query(args: Any) -> None:
    """The same rule for query parameters, names and values (`?status[$ne]=x`)."""
    for key, values in args.lists():
        if "$" in key or "[" in key or "." in key:
            raise bad_request("Unknown or malformed query parameter.",
                              {key: ["Operator or dotted parameter refused."]})
        for value in values:
            if value.startswith("$"):
                raise bad_request("Query values may not start with '$'.",
                                  {key: ["Operator value refused."]})
