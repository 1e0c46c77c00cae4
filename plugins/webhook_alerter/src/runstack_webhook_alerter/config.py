"""What a `webhook` alerter accepts (`runstack alerter flavor describe webhook`).

The URL and the headers are secrets: a webhook's URL is usually its only credential (Slack's
holds its token), so both are masked everywhere and may be given as `{{env.NAME}}` or
`{{file:PATH}}`, checked here once the reference is read, when the component is built.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from runstack.flavors import FlavorConfig
from runstack.secret_references import is_reference

# An HTTP header's name (RFC 9110's token); a value may not break the line it is sent on.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_LINE_BREAK = re.compile(r"[\r\n\0]")


class WebhookAlerterConfig(FlavorConfig):
    url: SecretStr = Field(
        description=(
            "Where messages are posted (http:// or https://); it usually holds the hook's "
            "token, so it is a secret: give it as {{env.NAME}} to keep it out of the store."
        )
    )
    on_success: bool = Field(
        default=False, description="Post when a run completes too, not only when it fails."
    )
    timeout: float = Field(
        default=10.0,
        gt=0,
        description="Seconds to wait for the webhook to connect, and then to answer.",
    )
    headers: SecretStr | None = Field(
        default=None,
        description=(
            'Extra HTTP headers, a JSON object ({"Authorization": "Bearer ..."}); a secret.'
        ),
    )
    dashboard_url: str | None = Field(
        default=None,
        description=(
            "Address of a dashboard that shows this store's runs, for the message's link "
            "(<dashboard_url>/runs/<run id>); default: the team server logged in to, if any."
        ),
    )

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: SecretStr) -> SecretStr:
        text = url.get_secret_value()
        if not is_reference(text) and not _is_http_url(text):
            # The value is not echoed: it may hold the hook's token.
            raise ValueError("the URL must start with http:// or https:// and name a host")
        return url

    @field_validator("headers", mode="before")
    @classmethod
    def _headers_as_json(cls, headers: Any) -> Any:
        """A JSON object given as data (the CLI decodes `{...}`) is kept as its text."""
        return json.dumps(headers) if isinstance(headers, dict) else headers

    @field_validator("headers")
    @classmethod
    def _header_names_and_values(cls, headers: SecretStr | None) -> SecretStr | None:
        if headers is not None and not is_reference(headers.get_secret_value()):
            header_pairs(headers)
        return headers

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard_url(cls, url: str | None) -> str | None:
        if url and not _is_http_url(url):
            raise ValueError("the dashboard's address must start with http:// or https://")
        return url or None


def header_pairs(headers: SecretStr | None) -> dict[str, str]:
    """The extra headers as names and values; ValueError (naming no value) when they are not a
    JSON object of strings."""
    if headers is None:
        return {}
    try:
        pairs = json.loads(headers.get_secret_value())
    except json.JSONDecodeError:
        pairs = None
    if not isinstance(pairs, dict) or not all(
        isinstance(name, str)
        and _HEADER_NAME.fullmatch(name)
        and isinstance(value, str)
        and not _LINE_BREAK.search(value)
        for name, value in pairs.items()
    ):
        raise ValueError(
            'headers must be a JSON object of header names and one-line text values: {"Name": "…"}'
        )
    return pairs


def _is_http_url(text: str) -> bool:
    try:
        parts = urlsplit(text.strip())
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)
