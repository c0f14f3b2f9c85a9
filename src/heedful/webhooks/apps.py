from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "heedful.webhooks"
    label = "webhooks"
