from collections.abc import Iterator

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The tests compare messages in English, the msgids; the Chinese catalogue may change."""
    with translation.override("en"):
        yield
