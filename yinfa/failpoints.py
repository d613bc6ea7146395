"""Named failure points for chaos tests.

`YINFA_FAILPOINTS=relay.after_confirm` makes the process kill itself with SIGKILL the
first time it reaches that point (`hit`): no cleanup, no finally blocks, as in a real
crash. `once` names a point where something goes wrong once without a crash (a message
lost on the way: `consumer.drop_one`). Unset, a failpoint costs one set lookup.
"""
from __future__ import annotations

import os
import signal

from yinfa.config import settings


def hit(name: str) -> None:
    if name in settings().failpoints:
        os.kill(os.getpid(), signal.SIGKILL)


_reached: set[str] = set()


def once(name: str) -> bool:
    """True the first time this process reaches a failpoint that is set."""
    if name in settings().failpoints and name not in _reached:
        _reached.add(name)
        return True
    return False
