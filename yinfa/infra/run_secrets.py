"""Secrets for a run that holds no real data (a benchmark, a chaos or soak run): random,
made fresh for the run where the operator set none, so the run takes the same paths as
production (no demo mode) and nothing it wrote opens afterwards."""
from __future__ import annotations

import secrets

from yinfa.config import set_defaults
from yinfa.secrets import CURSOR_KEY, ID_SECRET, MASTER_KEY, TOKEN_KEY


def ensure_run_secrets() -> None:
    set_defaults({name: secrets.token_urlsafe(48)
                  for name in (ID_SECRET, MASTER_KEY, TOKEN_KEY, CURSOR_KEY)})
