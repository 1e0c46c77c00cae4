"""The `webhook` alerter: a JSON message posted to a URL, when a run ends and from steps.

The body carries a `text` (what Slack-compatible hooks show) beside the run's facts as
fields. Nothing it raises, warns or posts holds the URL: it is the hook's credential.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from runstack.components import BaseAlerter, RunSummary
from runstack.errors import RunstackError, one_line
from runstack.runs import RunStatus
from runstack_webhook_alerter import __version__
from runstack_webhook_alerter.config import WebhookAlerterConfig, header_pairs

if TYPE_CHECKING:
    import urllib.error
    import urllib.request

# Enough of an error answer to say why (Slack answers `invalid_token`, `no_service`).
_ANSWER_LIMIT = 200


class WebhookError(RunstackError):
    """The webhook could not be reached, did not answer in time, or refused the message."""


class WebhookAlerter(BaseAlerter):
    config: WebhookAlerterConfig

    @property
    def location(self) -> str:
        """The webhook's host, never its URL (whose path or query holds its token)."""
        return urlsplit(self.config.url.get_secret_value()).hostname or ""

    def post(self, text: str) -> None:
        self.send({"text": text})

    def run_finished(self, summary: RunSummary) -> None:
        if summary.status is RunStatus.FAILED or (
            summary.status is RunStatus.COMPLETED and self.config.on_success
        ):
            self.send(run_message(summary, self.config.dashboard_url))

    def send(self, body: dict[str, Any]) -> None:
        """POST `body` as JSON; WebhookError (never naming the URL) unless the webhook answered
        with a 2xx status within the timeout."""
        import http.client
        import urllib.error

        request = self._request(body)
        try:
            with _opener().open(request, timeout=self.config.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            answer = _answer(error)
            raise self._error(f"the webhook answered {error.code} {error.reason}{answer}") from None
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError):
                raise self._timed_out() from None
            raise self._error(f"could not reach the webhook: {_reason(error.reason)}") from None
        except TimeoutError:
            raise self._timed_out() from None
        except (OSError, http.client.HTTPException) as error:
            raise self._error(f"the webhook's answer broke off: {one_line(error)}") from None

    def _request(self, body: dict[str, Any]) -> urllib.request.Request:
        import urllib.request

        headers = {
            **header_pairs(self.config.headers),
            "Content-Type": "application/json",
            "User-Agent": f"runstack-webhook-alerter/{__version__}",
        }
        return urllib.request.Request(
            self.config.url.get_secret_value().strip(),
            data=json.dumps(body).encode("utf-8"),
            headers=headers,
            method="POST",
        )

    def _timed_out(self) -> WebhookError:
        return self._error(f"the webhook did not answer within {self.config.timeout:g} s")

    def _error(self, what: str) -> WebhookError:
        url = self.config.url.get_secret_value().strip()
        return WebhookError(what.replace(url, "***"))


def run_message(summary: RunSummary, dashboard_url: str | None = None) -> dict[str, Any]:
    """The JSON body posted when a run ends; `dashboard_url`, when given, is the dashboard the
    link points to instead of the team server's."""
    if dashboard_url:
        from dataclasses import replace

        summary = replace(summary, dashboard=dashboard_url)
    return {
        "text": summary.text,
        "pipeline": summary.pipeline_name,
        "run": {"id": summary.run_id, "name": summary.run_name},
        "status": summary.status.value,
        "stack": summary.stack_name,
        "failed_step": summary.failed_step,
        "error": summary.error or None,
        "duration": summary.duration,
        "dashboard_url": summary.link,
    }


def _opener() -> urllib.request.OpenerDirector:
    """urllib's opener without redirects: a POST redirected would arrive as a GET, its
    message dropped; the 3xx is reported instead."""
    import urllib.request

    class RefuseRedirects(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any, **kwargs: Any) -> None:
            return None

    return urllib.request.build_opener(RefuseRedirects)


def _answer(error: urllib.error.HTTPError) -> str:
    """The start of an error answer's body, on one line, or ""."""
    try:
        text = error.read(_ANSWER_LIMIT).decode("utf-8", "replace")
    except Exception:
        return ""
    text = " ".join(text.split())
    return f" ({text})" if text else ""


def _reason(reason: object) -> str:
    return one_line(reason) if isinstance(reason, BaseException) else str(reason)
