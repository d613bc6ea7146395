"""The scoring service's published assessment and its commands."""
