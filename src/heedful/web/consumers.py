from channels.generic.websocket import AsyncJsonWebsocketConsumer


class TicketPresenceConsumer(AsyncJsonWebsocketConsumer):
    pass
