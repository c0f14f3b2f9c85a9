from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "heedful.web"
    label = "web"
