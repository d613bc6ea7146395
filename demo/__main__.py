"""`python -m demo` (what `bash scripts/demo.sh` runs)."""
from __future__ import annotations

import sys

import click


@click.command()
@click.option("--volunteers", "volunteer_count", default=300, show_default=True,
              help="How many demo volunteers to register.")
@click.option("--once", is_flag=True, help="Stop everything after showing the results.")
@click.option("--seed", default=2026, show_default=True, help="Seed of the demo data.")
@click.option("--resume", is_flag=True,
              help="Run again on the latest earlier demo's store (its data kept).")
def main(volunteer_count: int, once: bool, seed: int, resume: bool) -> None:
    """Start the infrastructure and services, load demo data, show the results."""
    from demo.session import run_demo

    sys.exit(run_demo(volunteer_count=volunteer_count, once=once, seed=seed, resume=resume))


if __name__ == "__main__":
    main()
