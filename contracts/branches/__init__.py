"""The branches service's published events, streams and commands."""
