"""What an alerter is: a component that sends a short message somewhere people read it."""

from __future__ import annotations

from abc import abstractmethod

from runstack.components.base import BaseComponent


class BaseAlerter(BaseComponent):
    """The base of every alerter flavor; a step reaches it as `get_step_context().stack.alerter`."""

    @abstractmethod
    def post(self, text: str) -> None:
        """Send `text` as a message (to a chat channel, a webhook); raise if it was not sent."""
