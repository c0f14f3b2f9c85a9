from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "heedful.people"
    label = "people"
