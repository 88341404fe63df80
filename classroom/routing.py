"""The classroom's websocket route: a class board's live updates (mvlab/routing.py mounts it)."""

from django.urls import path

from classroom.consumers import ClassConsumer

websocket_urlpatterns = [
    path("ws/classes/<int:class_id>/", ClassConsumer.as_asgi()),
]
