"""Create (or reuse) a user and print a fresh personal access token: provisioning for scripts."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from accounts.tokens import token_create


class Command(BaseCommand):
    help = (
        "Create a user if missing and print a new personal access token on stdout (nothing else), "
        "so a provisioning script can capture it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password", help="Set this password (default: a random unusable one)."
        )
        parser.add_argument("--superuser", action="store_true", help="Make the user a superuser.")
        parser.add_argument("--token-name", default="provisioned")
        parser.add_argument("--expires-days", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        User = get_user_model()
        username = options["username"]
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(username=username, email=options["email"])
            if options["password"]:
                user.set_password(options["password"])
            else:
                user.set_unusable_password()
            user.is_staff = user.is_superuser = options["superuser"]
            user.save()
        elif not user.is_active:
            raise CommandError(f"User {username!r} exists but is inactive.")
        expires = None
        if options["expires_days"] is not None:
            if options["expires_days"] < 1:
                raise CommandError("--expires-days must be at least 1.")
            expires = timezone.now() + timedelta(days=options["expires_days"])
        _, secret = token_create(
            user=user, name=options["token_name"] or secrets.token_hex(4), expires_at=expires
        )
        self.stdout.write(secret)
