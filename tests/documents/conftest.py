"""Each test of documents stores its files in a folder of its own: the database is rolled
back after every test, the file system is not."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask


@pytest.fixture(autouse=True)
def _own_storage_root(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[None]:
    if "app" not in request.fixturenames:
        yield
        return
    app: Flask = request.getfixturevalue("app")
    before = app.config.get("DOCUMENT_STORAGE_ROOT")
    app.config["DOCUMENT_STORAGE_ROOT"] = str(tmp_path / "storage" / "documents")
    try:
        yield
    finally:
        app.config["DOCUMENT_STORAGE_ROOT"] = before
