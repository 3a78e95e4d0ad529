"""A bad contact-list file: a German message naming the line, and nothing imported."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from caseflow import clock
from caseflow.staff.importing import StaffImportError, import_staff_file
from caseflow.staff.models import StaffMember
from tests.staff.helpers import SHIPPED_CSV, staff_count, write

CSV_HEAD = "name;email;phone;measures\n"
GOOD_ROW = "Anna Beispiel;anna@example.org;030 1;2\n"
VCARD = "BEGIN:VCARD\nVERSION:4.0\nFN:{name}\n{extra}END:VCARD\n"


def vcard(name: str = "Anna Beispiel", extra: str = "") -> str:
    return VCARD.format(name=name, extra=extra)


BAD_FILES = {
    "name missing": (
        "team.csv",
        CSV_HEAD + GOOD_ROW + "Bernd;;;\n\nCarla;;;\n;dora@example.org;030 4;3\n",
        "Zeile 6: Name fehlt.",
    ),
    "invalid email": (
        "team.csv",
        CSV_HEAD + GOOD_ROW + "Bernd Muster;abc;;\n",
        "Zeile 3: „abc“ ist keine gültige E-Mail-Adresse.",
    ),
    "unknown measure": (
        "team.csv",
        CSV_HEAD + 'A;;;1\nB;;;2\nC;;;3\nD;;;1\nE;;;2\nF;;;3;\nG;;;"2;4"\n',
        "Zeile 8: Maßnahme „4“ gibt es nicht (erlaubt: 1, 2, 3).",
    ),
    "measure that is not a number": (
        "team.csv",
        CSV_HEAD + "Anna;;;drei\n",
        "Zeile 2: Maßnahme „drei“ gibt es nicht (erlaubt: 1, 2, 3).",
    ),
    "same email twice": (
        "team.csv",
        CSV_HEAD + GOOD_ROW + "Bernd;;;\nAnna B.;Anna@Example.org;;\n",
        "Zeilen 2 und 4: Die E-Mail-Adresse „anna@example.org“ steht zweimal in der Datei.",
    ),
    "same name twice without email": (
        "team.csv",
        CSV_HEAD + "Jana Nau;;;3\nBernd;;;\njana nau;;;2\n",
        "Zeilen 2 und 4: „jana nau“ steht zweimal in der Datei",
    ),
    "unknown column": (
        "team.csv",
        "Name;Geburtstag\nAnna;1.1.1990\n",
        "Zeile 1: Die Spalte „Geburtstag“ ist unbekannt. Erlaubt sind name, email, phone, "
        "organisation, measures, job_title oder Name, E-Mail, Telefon, Organisation, "
        "Maßnahmen, Funktion.",
    ),
    "no name column": (
        "team.csv",
        "\nE-Mail;Telefon\nanna@example.org;030 1\n",
        "Zeile 2: Die Kopfzeile hat keine Spalte „Name“.",
    ),
    "column twice": (
        "team.csv",
        "Name;E-Mail;email\nAnna;a@example.org;b@example.org\n",
        "Zeile 1: Die Spalte „email“ kommt doppelt vor.",
    ),
    "more values than columns": (
        "team.csv",
        CSV_HEAD + GOOD_ROW + "Bernd;;030 2;3;Referent\n",
        "Zeile 3: 5 Werte, aber die Kopfzeile hat nur 4 Spalten.",
    ),
    "quote not closed": (
        "team.csv",
        CSV_HEAD + GOOD_ROW + 'Bernd;;"030 2;3\nCarla;;;\n',
        "Zeile 3: Ein Wert enthält einen Zeilenumbruch – fehlt ein schließendes Anführungszeichen?",
    ),
    "name too long": (
        "team.csv",
        CSV_HEAD + "A" * 201 + ";;;\n",
        "Zeile 2: Name ist zu lang (höchstens 200 Zeichen).",
    ),
    "not UTF-8": (
        "team.csv",
        "name;phone\nJana Nau;1\nSelen Eriçok;2\n".encode("cp1252"),
        "Die Datei ist nicht UTF-8-kodiert (erstes ungültiges Zeichen in Zeile 3). "
        "Bitte als UTF-8 speichern, in Excel als „CSV UTF-8“.",
    ),
    "vCard without END": (
        "team.vcf",
        vcard() + "\nBEGIN:VCARD\nVERSION:4.0\nFN:Bernd Muster\n",
        "Zeile 6: Die vCard, die hier beginnt, endet nicht mit END:VCARD.",
    ),
    "vCard without END before the next card": (
        "team.vcf",
        "BEGIN:VCARD\nVERSION:3.0\nFN:Anna\n" + vcard("Bernd"),
        "Zeile 1: Die vCard, die hier beginnt, endet nicht mit END:VCARD.",
    ),
    "vCard with invalid email": (
        "team.vcf",
        vcard() + vcard("Bernd", "TEL:030 1\nEMAIL;TYPE=work:bernd(at)example.org\n"),
        "Zeile 9: „bernd(at)example.org“ ist keine gültige E-Mail-Adresse.",
    ),
    "vCard with unknown measure": (
        "team.vcf",
        vcard("Anna", "CATEGORIES:Maßnahme 3,Maßnahme 4\n"),
        "Zeile 4: Maßnahme „4“ gibt es nicht (erlaubt: 1, 2, 3).",
    ),
    "vCard without a name": (
        "team.vcf",
        vcard() + "BEGIN:VCARD\nVERSION:3.0\nFN:\nTEL:030 1\nEND:VCARD\n",
        "Zeile 5: Name fehlt.",
    ),
    "vCard 2.1": (
        "team.vcf",
        "BEGIN:VCARD\nVERSION:2.1\nFN;ENCODING=QUOTED-PRINTABLE:Jana=20Nau\nEND:VCARD\n",
        "Zeile 2: vCard-Version „2.1“ wird nicht unterstützt (erlaubt: 3.0 und 4.0).",
    ),
    "vCard line without colon": (
        "team.vcf",
        vcard() + "BEGIN:VCARD\nVERSION:4.0\nFN:Bernd\nTEL 030 1\nEND:VCARD\n",
        "Zeile 8: „TEL 030 1“ ist keine gültige vCard-Zeile.",
    ),
    "text outside a vCard": (
        "team.vcf",
        vcard() + "FN:Bernd\n",
        "Zeile 5: „FN:Bernd“ steht außerhalb einer vCard (erwartet: BEGIN:VCARD).",
    ),
    "CSV in a .vcf file": (
        "team.vcf",
        "name,phone\nAnna,030 1\n",
        "Zeile 1: „name,phone“ ist keine gültige vCard-Zeile.",
    ),
}


@pytest.fixture
def existing(session: Session) -> int:
    """The shipped list is already imported; a bad file must leave it as it is."""
    import_staff_file(session, SHIPPED_CSV, now=clock.now())
    session.flush()
    return staff_count(session)


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES.values(), ids=BAD_FILES)
def test_bad_file_is_refused_with_the_line_and_nothing_is_imported(
    session: Session, existing: int, tmp_path: Path, name: str, content: str, message: str
) -> None:
    path = write(tmp_path, name, content)

    with pytest.raises(StaffImportError) as raised:
        import_staff_file(session, path, now=clock.now())

    assert message in str(raised.value)
    assert "Zeile" in message
    assert staff_count(session) == existing


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "team.xlsx",
            b"PK\x03\x04 not a text file",
            "Das Format der Datei „team.xlsx“ ist unbekannt. Erlaubt sind CSV-Dateien (.csv, "
            "UTF-8, mit Kopfzeile) und vCard-Dateien (.vcf, Version 3.0 oder 4.0).",
        ),
        ("notes.txt", "Liebe Kolleg*innen,\nanbei die Liste.\n", "Erlaubt sind CSV-Dateien"),
        ("team.csv", "\n \r\n", "Die Datei „team.csv“ ist leer."),
        ("team.csv", "Name;E-Mail\n\n", "Die Datei „team.csv“ enthält keine Personen."),
        ("team.vcf", "\r\n\r\nBEGIN:VCARD\r\n", "Zeile 3: Die vCard, die hier beginnt"),
    ],
    ids=["binary", "prose", "empty", "header only", "only BEGIN"],
)
def test_file_that_is_no_contact_list_is_refused(
    session: Session, existing: int, tmp_path: Path, name: str, content: str, message: str
) -> None:
    with pytest.raises(StaffImportError, match=message.replace("(", r"\(").replace(")", r"\)")):
        import_staff_file(session, write(tmp_path, name, content), now=clock.now())

    assert staff_count(session) == existing


def test_every_problem_of_a_file_is_reported_at_once(session: Session, tmp_path: Path) -> None:
    path = write(tmp_path, "team.csv", CSV_HEAD + ";;030 1;\nAnna;abc;;\nBernd;;;5\n")

    with pytest.raises(StaffImportError) as raised:
        import_staff_file(session, path, now=clock.now())

    assert str(raised.value).splitlines() == [
        "Zeile 2: Name fehlt.",
        "Zeile 3: „abc“ ist keine gültige E-Mail-Adresse.",
        "Zeile 4: Maßnahme „5“ gibt es nicht (erlaubt: 1, 2, 3).",
    ]
    assert staff_count(session) == 0


def test_a_name_that_fits_several_people_is_refused(
    session: Session, make_staff: Callable[..., StaffMember], tmp_path: Path
) -> None:
    make_staff(name="Jana Nau")
    make_staff(name="Jana  nau")
    path = write(tmp_path, "team.csv", "name,phone\nTeo Lünstroth,1\nJana Nau,0176\n")

    with pytest.raises(StaffImportError) as raised:
        import_staff_file(session, path, now=clock.now())

    assert str(raised.value) == (
        "Zeile 3: „Jana Nau“ passt zu 2 Personen im Verzeichnis; bitte eine E-Mail-Adresse angeben."
    )
    assert staff_count(session) == 2


def test_two_entries_that_fit_one_person_are_refused(
    session: Session, make_staff: Callable[..., StaffMember], tmp_path: Path
) -> None:
    make_staff(name="Jana Nau", email="jana@example.org")
    path = write(tmp_path, "team.csv", "name,email\nJ. Nau,jana@example.org\nJana Nau,\n")

    with pytest.raises(StaffImportError) as raised:
        import_staff_file(session, path, now=clock.now())

    assert str(raised.value) == (
        "Zeilen 2 und 3: Beide Einträge passen zu „Jana Nau“ im Verzeichnis."
    )
    assert staff_count(session) == 1
