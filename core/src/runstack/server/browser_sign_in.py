"""The dashboard on a team server: a browser signs in with a user's token, kept in a cookie,
and every page reads the store as that user sees it (their own and the shared stacks)."""

from __future__ import annotations

from urllib.parse import parse_qs

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from runstack.client import Client
from runstack.dashboard.app import create_dashboard, templates
from runstack.errors import AuthenticationError
from runstack.store.base import ServerStore

COOKIE = "runstack_token"


def mount_dashboard(app: FastAPI, store: ServerStore) -> None:
    """Serve the dashboard at `/` beside the API, behind `/login`."""
    flavors = Client(store=store).flavors
    pages = templates()

    def client_for(request: Request) -> Client:
        token = request.cookies.get(COOKIE, "")
        if not token:
            raise AuthenticationError("sign in with your token to see this server's stacks")
        user = store.users.authenticate(token)
        return Client(store=store.acting_as(user.name), flavors=flavors)

    def login_page(request: Request, message: str = "", status: int = 200) -> Response:
        return pages.TemplateResponse(
            request, "login.html", {"message": message}, status_code=status
        )

    async def sign_in(request: Request) -> Response:
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        token = form.get("token", [""])[0].strip()
        try:
            store.users.authenticate(token)
        except AuthenticationError as error:
            return login_page(request, str(error), status=401)
        signed_in = RedirectResponse("/", status_code=303)
        signed_in.set_cookie(COOKIE, token, httponly=True, samesite="strict")
        return signed_in

    def sign_out(request: Request) -> Response:
        signed_out = RedirectResponse("/login", status_code=303)
        signed_out.delete_cookie(COOKIE)
        return signed_out

    app.add_api_route("/login", login_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/login", sign_in, methods=["POST"], include_in_schema=False)
    app.add_api_route("/logout", sign_out, methods=["POST"], include_in_schema=False)
    app.mount("/", create_dashboard(client_for))
