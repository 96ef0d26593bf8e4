"""On the very first run, create an admin account with a random password and print it once."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Create an 'admin' superuser with a random password if there are no users yet."

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(15)
        User.objects.create_superuser("admin", "", password)
        self.stdout.write(
            self.style.SUCCESS(
                "\nCreated the first account. It is shown only this once:\n"
                f"  username: admin\n  password: {password}\n"
                "Change it at /admin/password_change/ after logging in.\n"
            )
        )
