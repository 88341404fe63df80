"""The classroom's HTTP API (docs/classroom.md), mounted by the site's API (designer.api): one module
per resource (classes, exercises, attempts), the bodies in schemas.py.

Instructors see their classes and every attempt in them; a student sees only the classes
they joined and their own attempts. Anything else answers 404, as if it did not exist.
"""

from ninja import Router

from classroom.api import attempts, classes, exercises

router = Router()
for module in (classes, exercises, attempts):
    router.add_router("", module.router)
