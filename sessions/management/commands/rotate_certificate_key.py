"""Re-encrypt every stored client certificate under the first of CERTIFICATE_ENCRYPTION_KEYS.

Rotation (docs/configuration.md "Client certificate encryption"): put the new key first and
keep the old one after it, run this, then drop the old key.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core.encryption import CannotDecrypt, reencrypt
from sessions.models import ClientCertificate


class Command(BaseCommand):
    help = (
        "Re-encrypt every client certificate's key under the first CERTIFICATE_ENCRYPTION_KEYS "
        "entry (all entries decrypt). Nothing is changed if any certificate cannot be decrypted."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            certificates = list(ClientCertificate.objects.select_for_update().only("pk", "sealed"))
            failed: list[int] = []
            for certificate in certificates:
                try:
                    certificate.sealed = reencrypt(certificate.sealed)
                except CannotDecrypt:
                    failed.append(certificate.pk)
            if failed:
                raise CommandError(
                    f"No configured key decrypts client certificates {failed}; add the key they "
                    "were encrypted with to CERTIFICATE_ENCRYPTION_KEYS. Nothing was changed."
                )
            ClientCertificate.objects.bulk_update(certificates, ["sealed"], batch_size=500)
        self.stdout.write(f"Re-encrypted {len(certificates)} client certificate(s).")
