from django.urls import path

from designer.consumers import DeploymentConsumer

websocket_urlpatterns = [
    path("ws/deployments/<str:deployment_id>/", DeploymentConsumer.as_asgi()),
]
