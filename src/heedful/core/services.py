"""Background services that `heedful serve` runs beside the web server (the SMTP intake, later a
chat gateway), registered by their apps in `AppConfig.ready()` so that the core imports none."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol


class Running(Protocol):
    def stop(self) -> None: ...


@dataclass(frozen=True)
class Service:
    name: str
    # Starts the service and returns a handle to stop it, plus a line for the console; None
    # when the service is switched off by configuration.
    start: Callable[[], tuple[Running, str] | None]


_SERVICES: dict[str, Service] = {}


def register_service(name: str, start: Callable[[], tuple[Running, str] | None]) -> None:
    _SERVICES[name] = Service(name, start)


def services() -> list[Service]:
    return list(_SERVICES.values())
