"""Imports of partners' files (CSV, XLSX, JSON lines) into the services: files.py reads
them as rows, engine.py sends the rows to the services and keeps the ledger and report,
cli.py is `yinfa-import`."""
