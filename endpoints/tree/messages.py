"""The documented messages of an endpoint, checked as a whole before any write: unique names,
replies to send messages, usable schemas and match rules, examples that fit their schema, and
the size limits of endpoints.contracts.limits.

Every write path that takes ``messages`` (create, update, revert, a session saved as an
endpoint) goes through ``messages_checked``, so none can store a contract the relay cannot
compile.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import jsonschema_rs

from core.errors import PayloadTooLarge, ValidationFailed
from core.formats import BodyFormatError, validate_body
from endpoints.contracts.examples import with_examples
from endpoints.contracts.limits import (
    MAX_EXAMPLE_BYTES,
    MAX_EXAMPLES_PER_MESSAGE,
    MAX_MESSAGES_PER_ENDPOINT,
    MAX_PROBLEMS,
    MAX_SCHEMA_BYTES,
    json_size,
)
from endpoints.contracts.rules import RuleError, check_rule
from endpoints.contracts.schemas import SchemaError, check_schema, compile_schema, problems_of
from endpoints.environments.resolver import static_text
from endpoints.models import (
    MESSAGE_FIELDS,
    Endpoint,
    Message,
    MessageDirection,
    MessageFormat,
    Project,
    Protocol,
    match_any,
)
from endpoints.schemas.selectors import schema_contents
from endpoints.tree.event_messages import as_event, event_problems, websocket_event_problems


def too_large(field: str, what: str, size: int, limit: int, unit: str = "bytes") -> PayloadTooLarge:
    """The one 413 of documented messages and project schemas: names ``field``, with the
    ``size`` found and the ``limit`` (in ``unit``) in the body."""
    text = f"{what} is {size} {unit}; the limit is {limit} {unit}."
    return PayloadTooLarge(f"{field}: {text}", fields={field: [text]}, size=size, limit=limit)


def example_problems(
    validator: jsonschema_rs.Validator, body: str, limit: int = MAX_PROBLEMS
) -> list[dict[str, str]] | None:
    """What is wrong with example ``body`` against ``validator`` ([] when it fits), or None
    when it cannot be checked now: it holds {{references}} (checked once substituted, when it
    is sent) or is not JSON (the format check names that). Escapes such as \\{{ are applied
    first, as at send. The one rule for examples, on every message write and schema change."""
    text = static_text(body)
    if text is None:
        return None
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):
        return None
    return problems_of(validator, value, limit)


def problem_text(found: Mapping[str, str]) -> str:
    """One problem of ``example_problems`` as a line: "/price: -1 is less than …"."""
    if found["path"] == "" and found["reason"].startswith("and "):
        return found["reason"]
    return f"{found['path'] or '/'}: {found['reason']}"


def _format_problem(message_format: str, body: str) -> str | None:
    """Why ``body`` is not ``message_format``, checked as it will be sent; None when it is, or
    when it holds {{references}} (checked after substitution, at send)."""
    text = static_text(body)
    if text is None:
        return None
    try:
        validate_body(message_format, text)
    except BodyFormatError as exc:
        return str(exc)
    except RecursionError:
        return "The body is nested too deeply."
    return None


def stored_messages(endpoint: Endpoint) -> dict[int, dict[str, Any]]:
    """The endpoint's messages as ``messages_checked`` completes kept ones from: by id."""
    return {
        row["id"]: row for row in Message.objects.filter(endpoint=endpoint).values(*MESSAGE_FIELDS)
    }


def messages_checked(
    *,
    project: Project,
    messages: Sequence[Mapping[str, Any]],
    stored: Mapping[int, Mapping[str, Any]] | None = None,
    protocol: str = Protocol.WEBSOCKET,
) -> list[dict[str, Any]]:
    """``messages`` with examples (a legacy ``body`` is the one example), once all of them
    are usable together. An item with the ``id`` of a ``stored`` message keeps the fields it
    leaves out. ValidationFailed names each bad field (``messages[2].match.path``); PayloadTooLarge
    (413) when a limit is passed. Reads the project's schemas only if a message has one."""
    if len(messages) > MAX_MESSAGES_PER_ENDPOINT:
        raise too_large(
            "messages", "The list", len(messages), MAX_MESSAGES_PER_ENDPOINT, "messages"
        )
    stored = stored or {}
    errors: dict[str, list[str]] = {}

    def problem(field: str, text: str) -> None:
        errors.setdefault(field, []).append(text)

    checked = []
    # Items written with a legacy ``body`` and no examples: their one example's errors name
    # ``messages[i].body``, the field they wrote.
    legacy: set[int] = set()
    for index, written in enumerate(messages):
        if "examples" not in written and "body" in written:
            legacy.add(index)
        if "id" not in written and "examples" not in written and "body" not in written:
            # As before examples: a new message written without a body has an empty one.
            written = {**written, "body": ""}
        message = with_examples(written)
        message_id = message.get("id")
        if message_id is not None:
            if message_id not in stored:
                problem(f"messages[{index}].id", f"No saved message {message_id} on this endpoint.")
            else:
                message = {**stored[message_id], **message}
        if not message.get("match"):
            message["match"] = match_any()  # {} and null mean "any frame": store it one way
        if protocol == Protocol.SOCKETIO:
            message = as_event(message)
        checked.append(message)

    sends = {
        m.get("name")
        for m in checked
        if m.get("direction", MessageDirection.SEND) == MessageDirection.SEND
    }
    schemas: dict[str, Any] | None = None

    def project_schemas() -> dict[str, Any]:
        nonlocal schemas
        if schemas is None:
            schemas = schema_contents(project=project)
        return schemas

    seen_names: set[Any] = set()
    for index, message in enumerate(checked):
        at = f"messages[{index}]"
        name = message.get("name")
        if not isinstance(name, str) or not name.strip():
            problem(f"{at}.name", "A message needs a name.")
        elif name in seen_names:
            problem(f"{at}.name", f"Another message of this endpoint is named {name!r}.")
        seen_names.add(name)
        direction = message.get("direction", MessageDirection.SEND)
        message_format = message.get("format", MessageFormat.TEXT)

        examples = message.get("examples") or []
        if len(examples) > MAX_EXAMPLES_PER_MESSAGE:
            raise too_large(
                f"{at}.examples", "The list", len(examples), MAX_EXAMPLES_PER_MESSAGE, "examples"
            )
        if not examples:
            problem(f"{at}.examples", "A message needs at least one example.")
        example_names: set[Any] = set()
        for number, example in enumerate(examples):
            example_name = example.get("name")
            if not isinstance(example_name, str) or not example_name.strip():
                problem(f"{at}.examples[{number}].name", "An example needs a name.")
            elif example_name in example_names:
                problem(
                    f"{at}.examples[{number}].name",
                    f"Another example of this message is named {example_name!r}.",
                )
            example_names.add(example_name)
            if not isinstance(example.get("body"), str):
                # A PATCH parses items partially; an example still needs its body.
                problem(f"{at}.examples[{number}].body", "An example needs a body (text).")
                continue
            body_field = f"{at}.body" if index in legacy else f"{at}.examples[{number}].body"
            size = len(example["body"].encode("utf-8", "surrogatepass"))
            if size > MAX_EXAMPLE_BYTES:
                raise too_large(body_field, "The example", size, MAX_EXAMPLE_BYTES)
            # Against the format the message has after this write (a PATCH may change the
            # format and leave the stored examples, or the reverse).
            wrong = _format_problem(message_format, example["body"])
            if wrong:
                problem(body_field, wrong)

        reply_to = message.get("reply_to") or ""
        if reply_to:
            if direction != MessageDirection.RECEIVE:
                problem(f"{at}.reply_to", "Only a receive message answers another message.")
            elif reply_to not in sends:
                problem(f"{at}.reply_to", f"No send message named {reply_to!r} in this endpoint.")

        try:
            check_rule(message.get("match"))
        except RuleError as exc:
            problem(f"{at}.match.{exc.field}", exc.reason)
        if protocol == Protocol.SOCKETIO:

            def example_field(number: int, at: str = at, index: int = index) -> str:
                return f"{at}.body" if index in legacy else f"{at}.examples[{number}].body"

            event_problems(message, at, problem, example_field, project_schemas)
        else:
            websocket_event_problems(message, at, problem)

        schema = message.get("schema")
        if schema is None:
            continue
        if message_format != MessageFormat.JSON:
            problem(
                f"{at}.schema",
                f"A schema documents JSON messages; this message's format is {message_format}.",
            )
            continue
        size = json_size(schema)
        if size > MAX_SCHEMA_BYTES:
            raise too_large(f"{at}.schema", "The schema", size, MAX_SCHEMA_BYTES)
        try:
            check_schema(schema, project_schemas())
        except SchemaError as exc:
            problem(f"{at}.schema", str(exc))
            continue
        validator = compile_schema(schema, project_schemas())
        for number, example in enumerate(examples):
            if not isinstance(example.get("body"), str):
                continue  # named above
            body_field = f"{at}.body" if index in legacy else f"{at}.examples[{number}].body"
            for found in example_problems(validator, example["body"]) or ():
                problem(
                    body_field,
                    f"Example {example.get('name')!r} does not fit the schema: "
                    + problem_text(found),
                )
    if errors:
        first_field, first = next(iter(errors.items()))
        raise ValidationFailed(errors, detail=f"{first_field}: {first[0]}")
    return checked
