"""Named crash points for chaos tests.

`YINFA_FAILPOINTS=relay.after_confirm` makes the process kill itself with SIGKILL the
first time it reaches that point: no cleanup, no finally blocks, as in a real crash.
Unset, a failpoint costs one dictionary lookup.
"""
from __future__ import annotations

import os
import signal


def hit(name: str) -> None:
    armed = os.environ.get("YINFA_FAILPOINTS", "")
    if armed and name in armed.split(","):
        os.kill(os.getpid(), signal.SIGKILL)
