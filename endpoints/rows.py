"""Row helpers every workspace service uses: lock a row (refusing a stale write), place it among its siblings,
save with a unique check, turn a URL id into a primary key."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, QuerySet

from core.errors import NotFound, ValidationFailed
from core.query import as_whole_number
from core.versioning import check_version
from endpoints.models import Edited


def lock(queryset: QuerySet, pk: int) -> Any:
    # of=("self",): related rows (nullable joins such as updated_by) cannot be locked in Postgres.
    obj = queryset.select_for_update(of=("self",)).filter(pk=pk).first()
    if obj is None:
        raise NotFound()
    return obj


def lock_current(queryset: QuerySet, pk: int, expected_version: int | None) -> Any:
    """Lock the row a write changes, refusing the write (412) when the client read an older
    version than the current one."""
    obj = lock(queryset, pk)
    check_version(obj, expected_version)
    return obj


def place(siblings: QuerySet, item_pk: int, position: int | None) -> int:
    """Put ``item_pk`` at ``position`` among ``siblings`` (append when None); renumber 0..n-1.

    Returns the item's final position. Only rows whose position changes are written.
    """
    rows = list(siblings.order_by("position", "id").values_list("pk", "position"))
    current = dict(rows)
    order = [pk for pk, _ in rows]
    if item_pk in order:
        order.remove(item_pk)
    index = len(order) if position is None else max(0, min(position, len(order)))
    order.insert(index, item_pk)
    model = siblings.model
    changed = [model(pk=pk, position=i) for i, pk in enumerate(order) if current.get(pk) != i]
    if changed:
        model.objects.bulk_update(changed, ["position"], batch_size=500)
    return index


def append_position(siblings: QuerySet) -> int:
    top = siblings.aggregate(top=Max("position"))["top"]
    return 0 if top is None else top + 1


UNSET: Any = object()


def apply_edit(row: Any, actor: User | None, **changes: Any) -> None:
    """Set each field given a value (None leaves it as it is) and count the edit: one more
    version, made by ``actor`` (a project records no editor). The caller saves."""
    for field, value in changes.items():
        if value is not None:
            setattr(row, field, value)
    row.version += 1
    if isinstance(row, Edited):
        row.updated_by = actor


def save_unique(obj: Model, field: str, message: str) -> None:
    """Save ``obj``; a concurrent writer that took the same name becomes a field error."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError:
        raise ValidationFailed({field: [message]}) from None


def as_int(value: int | str) -> int:
    """A URL's id as a primary key, by core.query's whole-number rule; anything else is no row."""
    number = value if isinstance(value, int) else as_whole_number(str(value))
    if number is None:
        raise NotFound()
    return number
