"""bench/run.py runs end to end on SQLite at a tiny size with short bounds: gunicorn for
caseflow and for the baseline, every row of the table written, every ratio a number."""

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest

from bench import run

PAGES = (
    "/engagements",
    "/dashboard",
    "/engagements/<id>",
    "/timeline",
    "/reports",
    "public form POST",
    "baseline GET /rows, before",
    "baseline POST /rows, before",
    "baseline GET /rows, after",
    "baseline POST /rows, after",
)


WHEN = ("before", "after")


@pytest.fixture(autouse=True)
def _no_demo_date(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bench app drops CASEFLOW_TODAY from the environment; restore it afterwards."""
    monkeypatch.delenv("CASEFLOW_TODAY", raising=False)


def _table(section: str) -> dict[str, list[str]]:
    rows = {}
    for line in section.splitlines():
        if line.startswith("| ") and not line.startswith("| URL"):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0]] = cells[1:]
    return rows


def test_a_tiny_run_writes_every_row_with_numeric_ratios(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    markdown = tmp_path / "bench.md"
    status = run.main(
        [
            "--databases=sqlite",
            "--copies=1,2",
            "--requests=6",
            "--concurrency=2",
            f"--markdown={markdown}",
        ]
    )

    assert status == 0, "no request may fail"
    written = markdown.read_text(encoding="utf-8")
    assert written.strip() == capsys.readouterr().out.strip()
    one = written.split("## sqlite, 1 × demo")[1].split("## sqlite, 2 × demo")[0]
    two = written.split("## sqlite, 2 × demo")[1].split("## Targets")[0]
    assert "15 engagement," in one
    assert "30 engagement," in two
    for section in (one, two):
        table = _table(section)
        assert tuple(table) == PAGES
        for page, cells in table.items():
            shown, statuses, p50, p95, rps, ratio, queries = cells
            assert re.fullmatch(r"(200|302|303)×6", statuses), (page, statuses)
            for figure in (p50, p95, rps, ratio):
                assert math.isfinite(float(figure)) and float(figure) > 0, (page, figure)
            assert int(queries) >= 1
        # The baseline's reference is the mean of its runs before and after caseflow's.
        before, after = (float(table[f"baseline GET /rows, {when}"][5]) for when in WHEN)
        assert (before + after) / 2 == pytest.approx(1.0, abs=0.01)
        assert table["/engagements"][0] in ("15", "30")
    targets = written.split("## Targets")[1]
    assert targets.count("baseline req/s:") == 2 * len(run.RATIO_TARGETS)
    assert "queries per request identical at 1× and 2×" in targets
    assert "/timeline p50 per engagement shown at 2×" in targets
    assert "FAILED" not in written
