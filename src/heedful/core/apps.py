from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "heedful.core"
    label = "core"

    def ready(self) -> None:
        from heedful.core.housekeeping import HOUSEKEEPING_AT, housekeeping
        from heedful.core.schedule import register_periodic

        register_periodic("core.housekeeping", housekeeping, daily_at=HOUSEKEEPING_AT)
