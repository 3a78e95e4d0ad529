"""Each test of documents stores its files in a folder of its own (``document_storage``)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _own_storage_root(request: pytest.FixtureRequest) -> None:
    if "app" in request.fixturenames:
        request.getfixturevalue("document_storage")
