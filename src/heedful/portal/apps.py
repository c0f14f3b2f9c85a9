from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "heedful.portal"
    label = "portal"
