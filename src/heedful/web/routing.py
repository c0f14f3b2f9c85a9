"""WebSocket routes for agents' pages (presence and live updates)."""

from django.urls import path

from heedful.web import consumers

websocket_urlpatterns = [
    path("ws/tickets/<int:ticket_id>/", consumers.TicketPresenceConsumer.as_asgi()),
]
