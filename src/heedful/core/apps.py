from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "heedful.core"
    label = "core"
