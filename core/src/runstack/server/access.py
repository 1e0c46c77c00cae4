"""Who calls: every API request but the server's info carries a bearer token, and is served
by the store acting as the token's user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from runstack.errors import AuthenticationError
from runstack.store.base import ServerStore, Store

bearer = HTTPBearer(auto_error=False, description="A token from 'runstack server user create'.")


def server_store(request: Request) -> ServerStore:
    store: ServerStore = request.app.state.store
    return store


def acting_store(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Store:
    """The store as the caller's user sees it; 401 without a valid token."""
    if credentials is None or not credentials.credentials:
        raise AuthenticationError(
            "this server needs a token: log in with 'runstack login URL --token TOKEN' (its "
            "admin makes one with 'runstack server user create NAME')"
        )
    store = server_store(request)
    user = store.users.authenticate(credentials.credentials)
    request.state.user = user.name
    return store.acting_as(user.name)


Caller = Annotated[Store, Depends(acting_store)]
