"""The feeds service: the public log partners follow, and imports of their files."""
