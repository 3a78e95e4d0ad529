"""Reading the contact list: CSV (comma, semicolon, BOM) and vCard 3.0 / 4.0."""

from __future__ import annotations

from pathlib import Path

import pytest
import vobject

from caseflow.staff.importing import StaffEntry, read_staff_file
from tests.staff.helpers import DIFAIR_CONTACTS, FILES, SHIPPED_CSV, SHIPPED_VCF, write

ANNA = StaffEntry(
    line=2,
    name="Anna Beispiel",
    email="anna.beispiel@example.org",
    phone="030 1234 5678",
    organisation="BQN Berlin",
    job_title="Referentin",
    measures=(2, 3),
    email_line=2,
)


def by_name(entries: list[StaffEntry]) -> dict[str, StaffEntry]:
    return {entry.name: entry for entry in entries}


@pytest.mark.usefixtures("session")
def test_comma_separated_csv_with_english_headers() -> None:
    entries = read_staff_file(FILES / "team_comma.csv")

    assert entries[0] == ANNA
    bernd, cigdem = entries[1], entries[2]
    # whitespace around and inside a name is collapsed; empty cells say nothing
    assert (bernd.line, bernd.name, bernd.email, bernd.job_title) == (3, "Bernd Muster", None, None)
    assert bernd.measures == (3,)
    # a blank line is skipped but still counted; "1 2" are two measures
    assert cigdem.line == 5
    assert cigdem.name == "Çiğdem Öztürk, Dr."
    assert cigdem.measures == (1, 2)
    assert cigdem.job_title == "Projektleitung, Maßnahme 1"
    assert cigdem.phone is None


@pytest.mark.usefixtures("session")
def test_semicolon_csv_with_bom_german_headers_and_crlf() -> None:
    assert FILES.joinpath("team_semicolon_bom.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    entries = read_staff_file(FILES / "team_semicolon_bom.csv")

    assert len(entries) == 3  # the row of empty cells at the end is skipped
    assert entries[0] == ANNA
    assert entries[1].name == "Bernd Muster"
    assert entries[1].measures == (3,)  # "Maßnahme 3"
    assert entries[2].measures == (1, 2)  # "1,2"
    assert entries[2].organisation == "Migrationsrat Berlin"


@pytest.mark.usefixtures("session")
@pytest.mark.parametrize(
    "measures", ["3", "2;3", "2,3", "2 3", "3, 2, 3", "Maßnahme 2; Maßnahme 3"]
)
def test_measure_notations(tmp_path: Path, measures: str) -> None:
    path = write(tmp_path, "team.csv", f'Name;Maßnahmen\nJana Nau;"{measures}"\n')

    (entry,) = read_staff_file(path)

    assert entry.measures == ((3,) if measures == "3" else (2, 3))


@pytest.mark.usefixtures("session")
def test_vcard_3_with_folding_escapes_groups_and_type_parameters() -> None:
    entries = by_name(read_staff_file(FILES / "team_v3.vcf"))

    anna = entries["Anna Beispiel"]
    assert anna.line == 1
    assert anna.email == "anna.beispiel@example.org"  # item1.EMAIL;type=INTERNET;type=pref
    assert anna.email_line == 7
    assert anna.phone == "030 1234 5678"  # the first TEL, not the mobile one after it
    assert anna.organisation == "BQN Berlin"  # first ORG component
    assert anna.job_title == "Referentin, Akademie"  # "\,"
    assert anna.measures == (2, 3)  # "DiFair" is not a measure and is ignored

    bernd = entries["Bernd Muster"]  # no FN: built from N "Muster;Bernd"
    assert (bernd.line, bernd.phone, bernd.measures) == (15, "030 8765 4321", (3,))

    cigdem = entries["Çiğdem Öztürk, Dr."]  # FN folded in the middle of a word
    assert cigdem.line == 22
    assert cigdem.organisation == "Migrationsrat Berlin; e.V."  # "\;" is not a separator
    assert cigdem.job_title == "Projektleitung Maßnahme 1"  # "\n" becomes a space
    assert cigdem.measures == (1, 2)  # two CATEGORIES lines


@pytest.mark.usefixtures("session")
def test_vcard_4_with_tel_uris_and_quoted_parameters() -> None:
    entries = by_name(read_staff_file(FILES / "team_v4.vcf"))

    anna = entries["Anna Beispiel"]
    assert anna.phone == "+49 30 1234 5678"  # TEL;VALUE=uri;TYPE="work,voice":tel:+49-30-…
    assert anna.email == "anna.beispiel@example.org"
    assert anna.organisation == "BQN Berlin"
    assert anna.job_title == "Referentin, Akademie"
    assert anna.measures == (2, 3)

    bernd = entries["Bernd Muster"]  # tel: URI without VALUE=uri, with an extension
    assert bernd.phone == "+49 30 8765 4321-12"
    assert bernd.measures == (3,)  # "Maßnahme 3: Organisationsberatung"

    ivan = entries["Ivan Felipe Martínez Valencia"]  # folded right after a multi-byte letter
    assert ivan.line == 20
    assert ivan.phone == "0176 849 612 82"  # TEL;VALUE=text
    assert ivan.measures == ()


@pytest.mark.usefixtures("session")
def test_vcard_with_lf_line_endings_and_blank_lines(tmp_path: Path) -> None:
    text = "\n\nBEGIN:VCARD\nVERSION:3.0\nFN:Jana\n  Nau\nEND:VCARD\n\n"
    path = write(tmp_path, "jana.vcf", text)

    (entry,) = read_staff_file(path)

    assert (entry.line, entry.name) == (3, "Jana Nau")  # the fold keeps one of two blanks


@pytest.mark.usefixtures("session")
@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("export.txt", "Name;Telefon\nJana Nau;0176 849 612 85\n"),
        ("export", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jana Nau\r\nEND:VCARD\r\n"),
        ("export.csv", "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Jana Nau\r\nEND:VCARD\r\n"),
    ],
)
def test_format_is_recognised_by_content(tmp_path: Path, name: str, content: str) -> None:
    (entry,) = read_staff_file(write(tmp_path, name, content))

    assert entry.name == "Jana Nau"


@pytest.mark.usefixtures("session")
@pytest.mark.parametrize("path", [SHIPPED_CSV, SHIPPED_VCF], ids=["csv", "vcf"])
def test_shipped_contact_list_has_the_difair_people(path: Path) -> None:
    entries = read_staff_file(path)

    assert {
        entry.name: (entry.phone, list(entry.measures), entry.organisation, entry.email)
        for entry in entries
    } == DIFAIR_CONTACTS
    assert all(entry.job_title is None for entry in entries)


def test_shipped_vcard_is_valid_vcard_4_for_another_parser() -> None:
    text = SHIPPED_VCF.read_text(encoding="utf-8")

    cards = list(vobject.readComponents(text))

    assert [card.fn.value for card in cards] == list(DIFAIR_CONTACTS)
    assert {card.version.value for card in cards} == {"4.0"}
