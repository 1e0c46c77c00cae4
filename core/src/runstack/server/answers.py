"""How the API answers failures: a runstack error with its status, and what FastAPI and
Starlette would otherwise answer in shapes of their own (422, 404 for an unknown path)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from runstack.errors import ConfigError, NotFoundError, RunstackError
from runstack.store.wire import ErrorBody, error_body

ERROR_ANSWERS: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in (
        (400, "Invalid input: a body that does not validate (naming the field), or a ConfigError"),
        (401, "No token, or a wrong or revoked one"),
        (403, "The acting user may not change this"),
        (404, "No such record"),
        (409, "A name is taken, or the record is still in use"),
        (503, "The store cannot be read or written"),
    )
}


def answer(error: RunstackError, status: int | None = None) -> JSONResponse:
    """The error's body, with the status of its class unless another is given."""
    usual, body = error_body(error)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status or usual)


def install_error_answers(app: FastAPI) -> None:
    """Every failure answers `{"error": <class>, "message": ...}` with the status of its class."""

    @app.exception_handler(RunstackError)
    async def runstack_error(request: Request, error: RunstackError) -> JSONResponse:
        return answer(error)

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
        return answer(ConfigError(f"invalid request: {_first_problem(error)}"))

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> JSONResponse:
        if error.status_code == 404:
            return answer(NotFoundError(f"no API path {request.url.path!r} on this server"))
        return JSONResponse(
            ErrorBody(error="RunstackError", message=str(error.detail)).model_dump(
                exclude_none=True
            ),
            status_code=error.status_code,
        )

    @app.exception_handler(OverflowError)
    @app.exception_handler(UnicodeEncodeError)
    async def unstorable(request: Request, error: Exception) -> JSONResponse:
        # Values JSON carries but SQLite cannot keep: integers past 64 bits, lone surrogates.
        return answer(ConfigError(f"invalid request: a value the store cannot keep ({error})"))


def _first_problem(error: RequestValidationError) -> str:
    """The first invalid field, by its path in the request (`body.stack.name`), and why."""
    problems = error.errors()
    if not problems:
        return "the request does not validate"
    first = problems[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    more = f" (and {len(problems) - 1} more problem(s))" if len(problems) > 1 else ""
    return f"field {where!r}: {first.get('msg', 'invalid')}{more}"
