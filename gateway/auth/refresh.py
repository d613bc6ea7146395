"""Refresh tokens: opaque, stored hashed, single use. Each use gives a new one in the
same family; presenting a used one again (a stolen copy) ends the whole family."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pymongo.database import Database

from gateway.auth.secrets import digest, new_refresh_token
from gateway.problem import unauthorized


class RefreshTokens:
    def __init__(self, db: Database, lifetime_seconds: int) -> None:
        self.tokens = db["refresh_tokens"]
        self.lifetime = timedelta(seconds=lifetime_seconds)

    def ensure_indexes(self) -> None:
        # an expired token is refused anyway; MongoDB removes it a while later
        self.tokens.create_index("expires_at", expireAfterSeconds=0)

    def issue(self, account: str, family: str | None = None) -> str:
        token = new_refresh_token()
        self.tokens.insert_one({
            "_id": digest(token), "account": account, "family": family or digest(token),
            "expires_at": datetime.now(UTC) + self.lifetime, "used": False,
        })
        return token

    def use(self, token: str) -> tuple[str, str]:
        """(account, next token) for a valid token, which can then not be used again."""
        record = self.tokens.find_one({"_id": digest(token)})
        if record is None:
            raise unauthorized("The refresh token is not valid.")
        if record["used"]:
            self.tokens.delete_many({"family": record["family"]})
            raise unauthorized("The refresh token was already used.")
        expires_at = record["expires_at"]
        if expires_at.tzinfo is None:
            expires_at = expires_at.replace(tzinfo=UTC)
        if expires_at < datetime.now(UTC):
            raise unauthorized("The refresh token has expired.")
        claimed = self.tokens.update_one({"_id": record["_id"], "used": False},
                                         {"$set": {"used": True}})
        if not claimed.modified_count:  # another request used it at the same moment
            raise unauthorized("The refresh token was already used.")
        return record["account"], self.issue(record["account"], record["family"])

    def revoke(self, token: str) -> None:
        record = self.tokens.find_one({"_id": digest(token)})
        if record is not None:
            self.tokens.delete_many({"family": record["family"]})

    def revoke_account(self, account: str) -> None:
        self.tokens.delete_many({"account": account})
