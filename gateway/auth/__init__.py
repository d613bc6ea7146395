"""Authentication: passwords, access tokens, refresh tokens and API keys."""
