"""The module runstack loads through the `runstack` entry point: it only declares the flavor.

It imports nothing else: the config model and the alerter are named by their import paths
and loaded when a command needs them.
"""

from __future__ import annotations

from runstack import hookimpl
from runstack.component_types import ComponentType
from runstack.flavors import Flavor, FlavorRegistrar


@hookimpl
def register_flavors(register: FlavorRegistrar) -> None:
    register(
        Flavor(
            name="webhook",
            component_type=ComponentType.ALERTER,
            config_class="runstack_webhook_alerter.config:WebhookAlerterConfig",
            implementation="runstack_webhook_alerter.alerter:WebhookAlerter",
            description=(
                "Posts a JSON message (Slack-compatible `text`) to a URL when a run fails, "
                "or also when it succeeds, and when a step calls post()."
            ),
            local=False,
        )
    )
