"""The activities service's published events, streams and commands."""
