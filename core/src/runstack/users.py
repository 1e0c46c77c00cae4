"""The users of a team server and their tokens: a token is shown once, only its hash is kept."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class User:
    """Someone who may call a team server; `revoked` is when their tokens stopped working."""

    name: str
    created: datetime
    revoked: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form for `--output json`."""
        return {
            "name": self.name,
            "created": self.created.isoformat(),
            "revoked": self.revoked.isoformat() if self.revoked else None,
        }


def new_token() -> str:
    """A random bearer token (256 bits), shown to the user once."""
    import secrets

    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What the store keeps of a token: random tokens need no salt or slow hash, only sha256."""
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()
