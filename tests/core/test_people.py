"""A person in brief is one shape, whether read as a model or as plain columns."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from core.people import user_brief, user_brief_of_columns


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("first", "last"), [("", ""), ("Ada", ""), ("", "Lovelace"), ("Ada", "Lovelace")]
)
def test_the_brief_of_columns_is_the_brief_of_the_user(first: str, last: str) -> None:
    user = get_user_model().objects.create(username="ada", first_name=first, last_name=last)
    columns = user_brief_of_columns(user.pk, user.username, user.first_name, user.last_name)
    assert columns == user_brief(user)
    assert user_brief_of_columns(None, None, None, None) is None
