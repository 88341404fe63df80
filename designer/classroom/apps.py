from django.apps import AppConfig


class ClassroomConfig(AppConfig):
    name = "designer.classroom"
    label = "classroom"
    verbose_name = "Classroom labs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from designer.classroom import guards, notify  # noqa: F401  (connect their signal receivers)
