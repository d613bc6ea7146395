"""`yinfa-import FILE --kind volunteers --source NAME` (or `python -m
services.feeds.imports.cli`): import a partner's file from the command line, with a
progress bar, through the services' own RPC commands, exactly as an upload does.

The job, the ledger and the report are kept in the feeds service's database, so a run
stopped halfway (Ctrl-C, a kill) and started again imports each row once. Needs
AMQP_URI and MONGO_URI (and YINFA_DB_PREFIX, as the services do).
"""
from __future__ import annotations

import csv
import sys
import uuid
from pathlib import Path

import click
from tqdm import tqdm

from contracts.feeds.imports import KINDS, RUNNING
from services.feeds.imports.engine import Calls, ImportBook, run_import
from yinfa.config import load_settings
from yinfa.store.clients import client_for

RPC_TIMEOUT = 120


def import_file(path: Path, kind: str, source: str, report: Path | None) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy

    import yinfa.service.remote_errors  # noqa: F401 - the services' errors as themselves

    settings = load_settings()
    if not settings.mongo_uri:
        click.echo("MONGO_URI is not set: point it at the services' database server", err=True)
        return 2
    book = ImportBook(client_for(settings.mongo_uri)[settings.database_name("feeds")])
    book.ensure_indexes()
    job = book.create(str(uuid.uuid4()), f"cli:{source}", source, kind, path.name,
                      status=RUNNING)
    with ClusterRpcProxy(settings.nameko_config(), timeout=RPC_TIMEOUT) as cluster, tqdm(
            desc=f"{path.name} → {kind}", unit=" rows", file=sys.stderr) as bar:

        ended = run_import(book, job, path, settings.import_max_bytes, Calls(cluster),
                           bar.update)
    if ended["refused"]:
        click.echo(f"refused: {ended['refused']}", err=True)
        return 2
    click.echo(f"job {ended['job_id']}: {ended['rows']} rows, {ended['accepted']} accepted, "
               f"{ended['rejected']} rejected")
    if report is not None:
        write_report(book, ended["job_id"], report)
    return 0


def write_report(book: ImportBook, job_id: str, path: Path) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", "external_id", "outcome", "reason"])
        after = 0
        while lines := book.report_lines(job_id, after, 1000):
            writer.writerows([[r["line"], r["external_id"], r["outcome"], r["reason"]]
                              for r in lines])
            after = lines[-1]["line"]


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--kind", type=click.Choice(KINDS), required=True, help="What the rows are.")
@click.option("--source", required=True, help="The partner the file comes from: external "
              "ids are its own, and an import is idempotent by (source, external id).")
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report (each line accepted or rejected, with the reason) here.")
def main(file: Path, kind: str, source: str, report: Path | None) -> None:
    """Import a partner's CSV, XLSX or JSON-lines file into the services."""
    sys.exit(import_file(file, kind, source, report))


if __name__ == "__main__":
    main()
