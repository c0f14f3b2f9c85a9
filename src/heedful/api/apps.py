from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "heedful.api"
    label = "api"
