"""bench/portfolio.py runs end to end on a small data set and prints the tables it promises."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench import portfolio


def test_percentile_is_nearest_rank() -> None:
    values = [5.0, 1.0, 4.0, 2.0, 3.0]
    assert portfolio.percentile(values, 0.50) == 3.0
    assert portfolio.percentile(values, 0.95) == 5.0
    assert portfolio.percentile([7.0], 0.95) == 7.0


def _rows(section: str) -> dict[str, list[str]]:
    """The body rows of the first Markdown table in ``section``, keyed by their first cell."""
    rows = {}
    for line in section.splitlines():
        if not line.startswith("| /"):
            continue
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0]] = cells[1:]
    return rows


@pytest.fixture(autouse=True)
def _no_demo_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench app drops CASEFLOW_TODAY from the environment; restore it afterwards."""
    monkeypatch.delenv("CASEFLOW_TODAY", raising=False)


def test_main_prints_a_row_per_url_at_one_and_two_copies(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown = tmp_path / "bench.md"
    status = portfolio.main(
        [
            "--copies=2",
            "--runs=1",
            f"--database-url=sqlite:///{tmp_path / 'bench.sqlite3'}",
            f"--markdown={markdown}",
        ]
    )

    assert status == 0
    out = capsys.readouterr().out
    assert markdown.read_text(encoding="utf-8").strip() == out.strip()
    # The demo has 15 engagements and 180 milestones; two copies double every table.
    assert "## 1 × demo: 15 engagements, 75 phases, 180 milestones" in out
    assert "## 2 × demo: 30 engagements, 150 phases, 360 milestones" in out
    one, two, both = (
        out.split("## 1 × demo")[1].split("## 2 × demo")[0],
        out.split("## 2 × demo")[1].split("## SQL queries")[0],
        out.split("## SQL queries per request: 1 × vs 2 ×")[1].split("## Targets")[0],
    )
    engagement = next(url for url in _rows(one) if re.fullmatch(r"/engagements/\d+", url))
    urls = [*portfolio.URLS, engagement]
    for section in (one, two):
        rows = _rows(section)
        assert list(rows) == urls
        for url, (status_code, p50, p95, size, queries) in rows.items():
            assert re.fullmatch(r"\d{3}(/\d{3})*", status_code), url
            assert float(p50) <= float(p95), url
            assert float(size) > 0, url
            assert queries.isdigit(), url  # one request per run: a single count
    assert "| URL | queries 1× | queries 2× | same |" in both
    compared = _rows(both)
    assert list(compared) == urls
    for url, (at_one, at_two, _same) in compared.items():
        assert at_one == _rows(one)[url][4]
        assert at_two == _rows(two)[url][4]
    # Pages that exist today answer 200 with a fixed number of queries.
    for url in ("/dashboard", "/engagements", engagement):
        assert _rows(two)[url][0] == "200"
        assert compared[url][2] == "yes"
    assert "- queries identical at 1× and 2×, the pages above: " in out
    assert "- queries identical at 1× and 2×, the other pages: ok (met)" in out
    assert re.search(r"Peak memory of the process \(ru_maxrss\): \d+ MB", out)


def test_main_refuses_a_database_that_is_not_empty(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"--database-url=sqlite:///{tmp_path / 'bench.sqlite3'}"
    assert portfolio.main(["--copies=1", "--runs=1", url]) == 0
    capsys.readouterr()

    assert portfolio.main(["--copies=1", "--runs=1", url]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "The database is not empty" in captured.err
