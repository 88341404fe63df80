"""The designer app: designs and their versions, deployments, agents, the API and the `lab` CLI.

The Django project around it (settings, routes, ASGI, Celery) is `mvlab/`.
"""
