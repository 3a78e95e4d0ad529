"""/capacity: staff × month."""

from __future__ import annotations

from datetime import date

from caseflow.engagements.models import EngagementStatus
from caseflow.portfolio.capacity import capacity_table
from caseflow.staff.models import Role
from tests import factories
from tests.pages.helpers import page_text, table

TODAY = date(2025, 3, 10)


def _capacity_cells(response, name: str) -> dict[str, str]:
    capacity_table = table(response, "Prozessbegleitungen je Person und Monat")
    header = capacity_table.rows[0]
    return dict(zip(header[1:], capacity_table.row(name)[1:], strict=True))


def test_capacity_counts_lead_and_co_in_the_months_an_engagement_covers(client, session, logged_in):
    logged_in(Role.LEAD)
    alice = factories.make_staff_member(session, name="Alice A")
    bob = factories.make_staff_member(session, name="Bob B")
    factories.make_engagement(
        session, lead=alice, co=[bob], start=date(2025, 1, 1), end=date(2025, 6, 30)
    )
    response = client.get("/capacity")
    assert response.status_code == 200
    capacity_table = table(response, "Prozessbegleitungen je Person und Monat")
    header = capacity_table.rows[0]
    assert header[0] == "Person"
    assert header[1] == "04/2024"
    assert header[-1] == "07/2026"
    assert len(header) == 1 + 28
    for name in ("Alice A", "Bob B"):
        cells = _capacity_cells(response, name)
        assert [cells[f"{month:02d}/2025"] for month in range(1, 8)] == ["1"] * 6 + ["0"]
        assert cells["12/2024"] == "0"
        assert sum(int(value) for value in cells.values()) == 6
    totals = dict(zip(header[1:], capacity_table.row("Summe")[1:], strict=True))
    assert totals["03/2025"] == "2"
    assert totals["07/2025"] == "0"
    html = response.get_data(as_text=True)
    assert '<th scope="col">04/2024</th>' in html
    assert '<th scope="row">Alice A</th>' in html


def test_capacity_uses_the_actual_end_of_closed_engagements(session, app):
    alice = factories.make_staff_member(session, name="Alice A")
    bob = factories.make_staff_member(session, name="Bob B")
    factories.make_engagement(
        session,
        lead=alice,
        start=date(2025, 1, 1),
        end=date(2025, 12, 31),
        status=EngagementStatus.ABGEBROCHEN,
        actual_end=date(2025, 3, 15),
    )
    factories.make_engagement(
        session, lead=alice, co=[bob], start=date(2025, 3, 1), end=date(2025, 8, 31)
    )
    result = capacity_table(session, start=date(2025, 1, 1), end=date(2025, 9, 30))
    assert [month.month for month in result.months] == list(range(1, 10))
    rows = {row.name: row.counts for row in result.rows}
    assert rows == {
        "Alice A": [1, 1, 2, 1, 1, 1, 1, 1, 0],
        "Bob B": [0, 0, 1, 1, 1, 1, 1, 1, 0],
    }
    assert result.totals == [1, 1, 3, 2, 2, 2, 2, 2, 0]


def test_empty_capacity(client, logged_in):
    logged_in(Role.LEAD)
    assert "Noch niemand ist einer Prozessbegleitung zugeordnet." in page_text(
        client.get("/capacity")
    )
