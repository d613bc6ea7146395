"""Pure parts of the feeds service: public entries of the log, rows of imported files."""
