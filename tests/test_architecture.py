"""The shape of the code: one-way imports, a wheel that carries its templates and migrations,
and no route without an explicit access rule."""

from __future__ import annotations

import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from flask import Flask

from caseflow.audit.labels import ACTION_LABELS

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def test_import_contracts_hold() -> None:
    """Features import one way (DESIGN.md §7); inside a feature views → forms → services →
    models. The contracts live in pyproject.toml."""
    result = subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (path,) = out.glob("caseflow-*.whl")
    return zipfile.ZipFile(path)


def test_wheel_ships_templates_migrations_static_and_data(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    templates = {name for name in names if name.startswith("caseflow/templates/")}
    expected = {
        "caseflow/templates/" + str(path.relative_to(ROOT / "templates"))
        for path in (ROOT / "templates").rglob("*.html")
    }
    assert expected and expected <= templates
    assert "caseflow/migrations/env.py" in names
    assert any(name.startswith("caseflow/migrations/versions/0001") for name in names)
    assert "caseflow/static/css/caseflow.css" in names
    assert "caseflow/data/phase_template.json" in names
    assert "caseflow/data/selfcheck_statements.json" in names
    assert "caseflow/data/contact_list.csv" in names
    assert any(name.endswith("en/LC_MESSAGES/messages.mo") for name in names)


def test_every_route_is_public_or_checks_a_role(app: Flask) -> None:
    unguarded = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        if not (getattr(view, "is_public", False) or getattr(view, "required_role", None)):
            unguarded.append(rule.rule)
    assert unguarded == []


def test_every_audit_action_written_by_the_code_has_a_readable_name() -> None:
    written = set()
    for path in (ROOT / "caseflow").rglob("*.py"):
        written |= set(re.findall(r'action="([a-z_.]+)"', path.read_text(encoding="utf-8")))
    assert written, "no audit actions found: has the call style changed?"
    assert written <= set(ACTION_LABELS), written - set(ACTION_LABELS)
