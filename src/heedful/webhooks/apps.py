from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "heedful.webhooks"
    label = "webhooks"

    def ready(self) -> None:
        from heedful.tickets import hooks
        from heedful.webhooks.announce import announce_changes

        # In the transaction: a delivery is queued exactly when the change commits.
        hooks.subscribe(hooks.EVENTS_APPENDED, announce_changes, after_commit=False,
                        name="webhooks.announce")
