"""Named crash points for chaos tests.

`YINFA_FAILPOINTS=relay.after_confirm` makes the process kill itself with SIGKILL the
first time it reaches that point: no cleanup, no finally blocks, as in a real crash.
Unset, a failpoint costs one set lookup.
"""
from __future__ import annotations

import os
import signal

from yinfa.config import settings


def hit(name: str) -> None:
    if name in settings().failpoints:
        os.kill(os.getpid(), signal.SIGKILL)
