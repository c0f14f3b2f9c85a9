from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "heedful.tickets"
    label = "tickets"
