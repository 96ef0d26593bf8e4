"""AccessToken now belongs to the accounts app: state only, its table endpoints_accesstoken stays."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0003_history_comments_events"),
        ("accounts", "0001_access_token_from_endpoints"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AccessToken")],
            database_operations=[],
        ),
    ]
