"""`manage.py classroom_role USER instructor|student`: gives a user a classroom role."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from classroom import roles


class Command(BaseCommand):
    help = "Gives a user the instructor or student role (students also get it by joining a class)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=[roles.INSTRUCTOR, roles.STUDENT])

    def handle(self, username: str, role: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(
                f"no user {username!r}; create it first (manage.py createsuperuser or the admin)"
            )
        roles.grant(user, role)
        self.stdout.write(f"{username} is now a {role}")
