"""The project's websocket routes: a deployment's event stream (designer) and a class board (classroom)."""

from django.urls import path

from classroom.routing import websocket_urlpatterns as classroom_websockets
from designer.consumers import DeploymentConsumer

websocket_urlpatterns = [
    path("ws/deployments/<str:deployment_id>/", DeploymentConsumer.as_asgi()),
    *classroom_websockets,
]
