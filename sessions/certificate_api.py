"""HTTP in/out for a project's client certificates (mutual TLS): members list them, admins
upload and delete them. The chain and key go in once and never come out."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from core.api import ERRORS, parse
from core.people import UserBriefSerializer, user_brief
from core.requests import AuthenticatedRequest
from core.timestamps import iso
from endpoints.projects.access import Action, ProjectView, project_actions
from sessions import certificate_services, selectors
from sessions.models import ClientCertificate


def client_certificate_data(certificate: ClientCertificate) -> dict[str, Any]:
    return {
        "id": certificate.pk,
        "name": certificate.name,
        "host_pattern": certificate.host_pattern,
        "subject": certificate.subject,
        "issuer": certificate.issuer,
        "not_before": iso(certificate.not_before),
        "not_after": iso(certificate.not_after),
        "fingerprint": certificate.fingerprint,
        "created_at": iso(certificate.created_at),
        "created_by": user_brief(certificate.created_by),
    }


class ClientCertificateOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(allow_blank=True)
    host_pattern = serializers.CharField(
        help_text="Where it is presented: host, *.domain (any one label), optional :port."
    )
    subject = serializers.CharField(help_text="Of the first certificate of the chain (RFC 4514).")
    issuer = serializers.CharField()
    not_before = serializers.DateTimeField()
    not_after = serializers.DateTimeField(help_text="When it expires.")
    fingerprint = serializers.CharField(help_text="SHA-256 of the certificate, colon-separated.")
    created_at = serializers.DateTimeField()
    created_by = UserBriefSerializer(allow_null=True)


class ClientCertificateInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, allow_blank=True, required=False, default="")
    host_pattern = serializers.CharField(max_length=270)
    certificate = serializers.CharField(
        trim_whitespace=False,
        help_text="PEM: the client certificate first, then any intermediates.",
    )
    private_key = serializers.CharField(trim_whitespace=False, help_text="PEM private key.")
    passphrase = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=False,
        help_text="The private key's passphrase, when it is encrypted.",
    )


class ClientCertificateList(ProjectView):
    actions = project_actions(post=Action.MANAGE)

    @extend_schema(responses={200: ClientCertificateOutSerializer(many=True), **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int) -> Response:
        return Response(
            [
                client_certificate_data(c)
                for c in selectors.client_certificates(project=self.project)
            ]
        )

    @extend_schema(
        request=ClientCertificateInSerializer,
        responses={201: ClientCertificateOutSerializer, **ERRORS},
        description="Upload a certificate chain and key for a host pattern (admins). Refused "
        "with a 400 naming the field: not PEM, key and certificate that do not match, expired "
        "or not yet valid, an encrypted key without (or with a wrong) passphrase.",
    )
    def post(self, request: AuthenticatedRequest, project_id: int) -> Response:
        data = parse(ClientCertificateInSerializer, request)
        certificate = certificate_services.client_certificate_create(
            project=self.project, actor=request.user, **data
        )
        return Response(client_certificate_data(certificate), status=status.HTTP_201_CREATED)


class ClientCertificateDetail(ProjectView):
    actions = project_actions(delete=Action.MANAGE)

    @extend_schema(responses={200: ClientCertificateOutSerializer, **ERRORS})
    def get(self, request: AuthenticatedRequest, project_id: int, certificate_id: int) -> Response:
        certificate = selectors.client_certificate_get(
            project=self.project, certificate_id=certificate_id
        )
        return Response(client_certificate_data(certificate))

    @extend_schema(responses={204: None, **ERRORS})
    def delete(
        self, request: AuthenticatedRequest, project_id: int, certificate_id: int
    ) -> Response:
        certificate = selectors.client_certificate_get(
            project=self.project, certificate_id=certificate_id
        )
        certificate_services.client_certificate_delete(certificate=certificate, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
