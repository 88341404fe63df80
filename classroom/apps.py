"""The classroom app; its label stays `classroom`, so tables and migrations kept their names."""

from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "classroom"
    label = "classroom"
    verbose_name = "Classroom labs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from classroom import guards, notify  # noqa: F401  (connect their signal receivers)
