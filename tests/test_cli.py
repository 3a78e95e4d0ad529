"""The `caseflow` command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from caseflow.staff.models import Role, StaffMember
from caseflow.staff.services import authenticate
from tests.conftest import clock

BIN = Path(sys.executable).parent


def test_console_script_is_flask_with_the_caseflow_app(tmp_path: Path) -> None:
    result = subprocess.run(
        [str(BIN / "caseflow"), "--help"],
        capture_output=True,
        text=True,
        env={"CASEFLOW_ENV": "development", "CASEFLOW_INSTANCE_PATH": str(tmp_path)},
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    for command in ("db", "demo", "staff", "users", "run"):
        assert f"  {command}" in result.stdout


def test_users_create_gives_a_contact_list_person_a_login(app: Flask, session) -> None:
    person = StaffMember(name="Jana Nau", created_at=clock.now())
    session.add(person)
    session.flush()
    result = app.test_cli_runner().invoke(
        args=[
            "users",
            "create",
            "--name",
            "Jana Nau",
            "--email",
            "J.Nau@Example.org",
            "--role",
            "lead",
            "--password",
            "ein-sehr-gutes-passwort",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Login für Jana Nau <j.nau@example.org> (lead) angelegt." in result.output
    assert session.scalar(select(func.count()).select_from(StaffMember)) == 1
    member = authenticate(session, "j.nau@example.org", "ein-sehr-gutes-passwort", now=clock.now())
    assert member is not None and member.id == person.id and member.role is Role.LEAD


def test_users_create_refuses_a_weak_password_and_saves_nothing(app: Flask, session) -> None:
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--name", "X", "--email", "x@example.org", "--password", "kurz"]
    )
    assert result.exit_code == 1
    assert "mindestens 12 Zeichen" in result.output
    assert session.scalar(select(func.count()).select_from(StaffMember)) == 0


def test_demo_if_empty_leaves_a_used_database_alone(app: Flask, make_staff, session) -> None:
    make_staff(name="Schon da")
    session.commit()  # as if an earlier command had stored it (the test's outer rollback stays)
    result = app.test_cli_runner().invoke(args=["demo", "--if-empty"])
    assert result.exit_code == 0, result.output
    assert "bereits Daten" in result.output
    assert "leitung@example.org" in result.output
    assert session.scalar(select(func.count()).select_from(StaffMember)) == 1


def test_demo_without_flag_refuses_a_used_database(app: Flask, make_staff) -> None:
    make_staff()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 1
    assert "Error" in result.output


def test_users_create_matches_a_name_whatever_its_accents(app: Flask, session) -> None:
    person = StaffMember(name="Selen Eriçok", created_at=clock.now())
    session.add(person)
    session.flush()
    result = app.test_cli_runner().invoke(
        args=[
            "users", "create", "--name", "selen  ericok", "--email", "s@example.org",
            "--role", "consultant", "--password", "ein-sehr-gutes-passwort",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert session.scalar(select(func.count()).select_from(StaffMember)) == 1
    session.refresh(person)
    assert person.email == "s@example.org"


@pytest.mark.parametrize(
    ("name", "email", "message"),
    [
        ("   ", "x@example.org", "Bitte geben Sie einen Namen an."),
        ("N" * 201, "x@example.org", "höchstens 200 Zeichen"),
        ("Jana Nau", "a@b@c", "gültige E-Mail-Adresse"),
        ("Jana Nau", "ohne-at.example.org", "gültige E-Mail-Adresse"),
    ],
)
def test_users_create_refuses_bad_input_clearly(app: Flask, session, name, email, message):
    result = app.test_cli_runner().invoke(
        args=["users", "create", "--name", name, "--email", email,
              "--password", "ein-sehr-gutes-passwort"]
    )  # fmt: skip
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert session.scalar(select(func.count()).select_from(StaffMember)) == 0
