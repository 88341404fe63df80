"""Creates the first sign-in (`admin`, a random password) when the site has no user yet."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create a superuser with a random password and print it, only when no user exists."

    def add_arguments(self, parser):
        parser.add_argument("--username", default="admin")

    def handle(self, *args, username: str, **options):
        users = get_user_model()
        if users.objects.exists():
            self.stdout.write(
                "sign in with your existing user (manage.py changepassword NAME resets a password)"
            )
            return
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, email="", password=password)
        self.stdout.write(f"sign in as: {username}  password: {password}")
