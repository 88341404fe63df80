from django.urls import path

from designer.classroom.consumers import ClassConsumer

websocket_urlpatterns = [
    path("ws/classes/<int:class_id>/", ClassConsumer.as_asgi()),
]
