"""``caseflow staff import FILE`` and the /staff directory showing what it imported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.staff.importing import import_staff_file
from caseflow.staff.models import Role, StaffMember
from tests.staff.helpers import SHIPPED_CSV, SHIPPED_VCF, staff_count, write


def invoke_import(app: Flask, path: Path):
    return app.test_cli_runner().invoke(args=["staff", "import", str(path)])


def test_cli_imports_the_shipped_list_and_prints_the_summary(app: Flask, session: Session) -> None:
    result = invoke_import(app, SHIPPED_CSV)

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "8 angelegt, 0 aktualisiert, 0 unverändert"
    assert lines[1].startswith("Angelegt: Teo Lünstroth, Ivan Felipe Martinez Valencia, ")
    assert staff_count(session) == 8


def test_cli_import_is_idempotent_across_formats(app: Flask, session: Session) -> None:
    invoke_import(app, SHIPPED_CSV)

    result = invoke_import(app, SHIPPED_VCF)

    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "0 angelegt, 0 aktualisiert, 8 unverändert"
    assert staff_count(session) == 8


def test_cli_refuses_a_bad_file_with_exit_code_1(
    app: Flask, session: Session, tmp_path: Path
) -> None:
    invoke_import(app, SHIPPED_CSV)  # committed: the bad file's rollback must keep it
    path = write(tmp_path, "team.csv", "name;email\nAnna;anna@example.org\nBernd;abc\n")

    result = invoke_import(app, path)

    assert result.exit_code == 1
    assert "Zeile 3: „abc“ ist keine gültige E-Mail-Adresse." in result.output
    assert "angelegt" not in result.output
    assert staff_count(session) == 8


def test_staff_page_lists_imported_people_with_phone_and_measures(
    session: Session,
    client: FlaskClient,
    logged_in: Callable[..., StaffMember],
) -> None:
    logged_in(Role.CONSULTANT)
    import_staff_file(session, SHIPPED_CSV, now=clock.now())
    session.commit()

    page = client.get("/staff").get_data(as_text=True)

    assert "Selen Eriçok" in page
    assert "0176 849 612 78" in page
    assert 'href="tel:017684961278"' in page
    assert "Maßnahme 3: Organisationsberatung" in page
    assert "Cemile Karaman" in page
    assert "cemile.karaman@migrationsrat.de" in page
    assert "Maßnahme 1: Dialog mit Migrant*innenselbstorganisationen" in page
    assert "Maßnahme 2: Akademie" in page
    assert "Migrationsrat Berlin" in page
