"""The OpenAPI schema is valid and complete (no generator warnings)."""

from django.core.management import call_command


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    text = target.read_text()
    assert "bearerAuth" in text and "/api/v1/projects/{project_id}/endpoints/batch/" in text
