from django.apps import AppConfig


class TicketsConfig(AppConfig):
    name = "heedful.tickets"
    label = "tickets"

    def ready(self) -> None:
        from heedful.tickets.kinds import register_core_kinds

        register_core_kinds()
