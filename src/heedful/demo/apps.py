from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Only for its `heedful demo` command; the demo app has no models."""

    name = "heedful.demo"
    label = "demo"
