"""The volunteers service's published events, streams and commands."""
