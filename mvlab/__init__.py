"""The mvlab Django project: settings, URL and websocket routes, the ASGI entry point and the Celery app.

Only the wiring of the project lives here; the apps are `designer/` (designs, deployments, agents,
the API and the `lab` CLI) and `classroom/` (classes, assignments, the teacher's board).
"""
