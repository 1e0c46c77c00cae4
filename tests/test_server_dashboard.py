"""The dashboard a team server serves: a browser signs in with a token and sees what its user
sees through the API: their own stacks and the shared ones, never another's private one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from runstack import Client
from runstack.store.http import HttpStore
from server_helpers import TeamServer, unique


def register_stack(server: TeamServer, user: str, name: str, *, shared: bool) -> None:
    client = Client(store=HttpStore(server.url, server.tokens[user], user=user))
    client.register_stack(
        name, {"orchestrator": "default", "artifact_store": "default"}, shared=shared
    )


@contextmanager
def signed_in(server: TeamServer, user: str) -> Iterator[httpx.Client]:
    """A browser (cookies kept) signed in to the server's dashboard as `user`."""
    with httpx.Client(base_url=server.url, follow_redirects=False) as browser:
        answer = browser.post("/login", data={"token": server.tokens[user]})
        assert (answer.status_code, answer.headers["location"]) == (303, "/")
        assert "httponly" in answer.headers["set-cookie"].lower()
        yield browser


def test_pages_need_a_signed_in_browser(team_server: TeamServer) -> None:
    with httpx.Client(base_url=team_server.url, follow_redirects=False) as browser:
        first = browser.get("/stacks")
        assert (first.status_code, first.headers["location"]) == (303, "/login")
        assert "Sign in" in browser.get("/login").text
        wrong = browser.post("/login", data={"token": "not-a-token"})
        assert wrong.status_code == 401
        assert "token" in wrong.text
        assert "runstack_token" not in browser.cookies


def test_each_user_sees_their_own_and_the_shared_stacks(team_server: TeamServer) -> None:
    private, shared = unique("alices"), unique("teams")
    register_stack(team_server, "alice", private, shared=False)
    register_stack(team_server, "alice", shared, shared=True)
    with signed_in(team_server, "alice") as alice, signed_in(team_server, "bob") as bob:
        assert private in alice.get("/stacks").text
        bobs = bob.get("/stacks").text
        assert shared in bobs
        assert private not in bobs
        stack_id = (
            Client(store=HttpStore(team_server.url, team_server.tokens["alice"], user="alice"))
            .get_stack(private)
            .id
        )
        assert bob.get(f"/stacks/{stack_id}").status_code == 404
        assert alice.get(f"/stacks/{stack_id}").status_code == 200
        signed_out = bob.post("/logout")
        assert signed_out.headers["location"] == "/login"
        assert bob.get("/stacks").status_code == 303


def test_the_api_schema_leaves_out_the_pages(team_server: TeamServer) -> None:
    paths = httpx.get(f"{team_server.url}/openapi.json").json()["paths"]
    assert all(path.startswith("/api/v1/") for path in paths)
