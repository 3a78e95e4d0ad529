"""The locked dependency set that CI audits (requirements.lock, .ci/audit.py)."""

from __future__ import annotations

import importlib.util
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version
    return pins


def test_every_runtime_dependency_is_locked_at_a_version_it_allows() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _locked()
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is missing from requirements.lock: run make lock"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"requirements.lock pins {name}=={pins[name]}, pyproject asks {requirement.specifier}"
        )


def _audit_module():
    spec = importlib.util.spec_from_file_location("ci_audit", ROOT / ".ci" / "audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_audit_fails_on_a_known_vulnerability(capsys) -> None:
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.0", "vulns": []},
            {
                "name": "jinja2",
                "version": "3.1.2",
                "vulns": [{"id": "GHSA-h5c8-rqwp-cp95", "fix_versions": ["3.1.3"]}],
            },
        ]
    }
    assert _audit_module().audit(report, strict=False) == 1
    assert (
        "VULNERABLE jinja2 3.1.2: GHSA-h5c8-rqwp-cp95 (fixed in 3.1.3)" in capsys.readouterr().out
    )


def test_dependencies_that_could_not_be_audited_are_named_and_fail_when_strict(capsys) -> None:
    report = {
        "dependencies": [
            {"name": "flask", "version": "3.1.0", "vulns": []},
            {"name": "wtforms", "skip_reason": "Dependency not found on PyPI"},
        ]
    }
    audit = _audit_module().audit
    assert audit(report, strict=False) == 0
    out = capsys.readouterr().out
    assert "NOT AUDITED (1 of 2)" in out and "wtforms" in out
    assert "1 dependencies audited, 0 with known vulnerabilities, 1 not audited" in out
    assert audit(report, strict=True) == 2
