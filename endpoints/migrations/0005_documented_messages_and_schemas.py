"""Saved messages become documented messages: each keeps its name, format, description and
position, is a *send* message, and its body becomes its one example. Names made unique within
an endpoint (a second "Ping" becomes "Ping (2)"), since two messages may no longer share one.
Adds project schemas and the endpoint's strict setting."""

import django.db.models.deletion

import endpoints.models
from django.conf import settings
from django.db import migrations, models


def bodies_to_examples(apps, schema_editor):
    Message = apps.get_model("endpoints", "Message")
    changed = []
    seen: dict[tuple[int, str], int] = {}
    for message in Message.objects.order_by("endpoint_id", "position", "id").iterator():
        key = (message.endpoint_id, message.name)
        count = seen.get(key, 0) + 1
        seen[key] = count
        if count > 1:
            name = f"{message.name} ({count})"
            while (message.endpoint_id, name) in seen:
                count += 1
                name = f"{message.name} ({count})"
            seen[(message.endpoint_id, name)] = 1
            message.name = name
        message.direction = "send"
        message.examples = [{"name": "Example", "body": message.body}]
        changed.append(message)
        if len(changed) >= 500:
            Message.objects.bulk_update(changed, ["name", "direction", "examples"])
            changed = []
    if changed:
        Message.objects.bulk_update(changed, ["name", "direction", "examples"])


def examples_to_bodies(apps, schema_editor):
    Message = apps.get_model("endpoints", "Message")
    changed = []
    for message in Message.objects.iterator():
        examples = message.examples or []
        message.body = examples[0].get("body", "") if examples else ""
        changed.append(message)
    Message.objects.bulk_update(changed, ["body"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0004_access_token_to_accounts"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="endpoint",
            name="strict",
            field=models.BooleanField(default=False),
        ),
        migrations.RenameModel(old_name="SavedMessage", new_name="Message"),
        migrations.AddField(
            model_name="message",
            name="direction",
            field=models.CharField(
                choices=[("send", "Send"), ("receive", "Receive")], default="send", max_length=8
            ),
        ),
        migrations.AddField(
            model_name="message",
            name="schema",
            field=models.JSONField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="message",
            name="examples",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.AddField(
            model_name="message",
            name="reply_to",
            field=models.CharField(blank=True, default="", max_length=200),
        ),
        migrations.AddField(
            model_name="message",
            name="match",
            field=models.JSONField(blank=True, default=endpoints.models.match_any),
        ),
        migrations.RunPython(bodies_to_examples, examples_to_bodies),
        migrations.RemoveField(model_name="message", name="body"),
        migrations.CreateModel(
            name='ProjectSchema',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('version', models.PositiveIntegerField(default=1)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
                ('updated_at', models.DateTimeField(auto_now=True)),
                ('name', models.CharField(max_length=100)),
                ('description', models.TextField(blank=True, default='')),
                ('schema', models.JSONField(default=dict)),
                ('project', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='schemas', to='endpoints.project')),
                ('updated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'ordering': ['name', 'id'],
            },
        ),
        migrations.AddConstraint(
            model_name='projectschema',
            constraint=models.UniqueConstraint(fields=('project', 'name'), name='project_schema_unique_name'),
        ),
    ]
