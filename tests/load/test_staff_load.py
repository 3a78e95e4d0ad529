"""Point 7 of the load proof, the staff side: logged-in leads and consultants click through
the demo programme (dashboard, lists, engagement pages, timeline, reports) for
``LOAD_SECONDS`` (60) against gunicorn (4 workers) on PostgreSQL, without one failure."""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from pathlib import Path

import httpx
import pytest

from bench.load import run_load
from tests.load.support import CONSULTANT, LEAD, bound, figure, log_in, serve

pytestmark = pytest.mark.load

USERS = 8
ENGAGEMENT_LINK = re.compile(r'href="/engagements/(\d+)"')
APPLICATION_LINK = re.compile(r'href="/applications/(\d+)"')
# What each role opens, besides the engagement and application pages its lists link to.
LEAD_PAGES = (
    "/dashboard",
    "/applications",
    "/engagements",
    "/timeline",
    "/reports",
    "/capacity",
    "/organisations",
    "/notifications",
)
CONSULTANT_PAGES = ("/dashboard", "/engagements", "/organisations", "/notifications")


class StaffUsers:
    """Half the virtual users are the lead, half the consultant. Each walks round its role's
    kinds of page (dashboard, lists, one engagement page, …) in turn, the detail pages taken
    in turn from the links its lists show."""

    def __init__(self) -> None:
        self.pages: dict[int, list[list[str]]] = {}
        self.logged_in = 0
        self.opened: Counter[str] = Counter()

    async def setup(self, client: httpx.AsyncClient) -> None:
        lead = self.logged_in % 2 == 0
        self.logged_in += 1
        await log_in(client, LEAD if lead else CONSULTANT)
        kinds = [[page] for page in (LEAD_PAGES if lead else CONSULTANT_PAGES)]
        # A lead's list shows only their own engagements unless "nur meine" is unticked.
        listing = await client.get("/engagements" + ("?mine=" if lead else ""))
        assert listing.status_code == 200
        engagements = sorted(set(ENGAGEMENT_LINK.findall(listing.text)), key=int)
        assert engagements, "the engagement list links engagements"
        kinds.append([f"/engagements/{number}" for number in engagements])
        if lead:
            listing = await client.get("/applications")
            applications = sorted(set(APPLICATION_LINK.findall(listing.text)), key=int)
            assert applications, "the application list links applications"
            kinds.append([f"/applications/{number}" for number in applications])
        for page in (page for pages in kinds for page in pages):
            response = await client.get(page)
            assert response.status_code == 200, (page, response.status_code)
        self.pages[id(client)] = kinds

    async def request(self, client: httpx.AsyncClient, number: int) -> httpx.Response:
        kinds = self.pages[id(client)]
        pages = kinds[number % len(kinds)]
        page = pages[(number // len(kinds)) % len(pages)]
        self.opened["/".join(page.split("/")[:2]) + ("/<id>" if len(pages) > 1 else "")] += 1
        return await client.get(page)


def test_staff_click_through_the_programme_without_failures(
    postgres_url: str, tmp_path: Path
) -> None:
    seconds = bound("LOAD_SECONDS", 60)
    users = StaffUsers()
    with serve(postgres_url, tmp_path, demo=True) as server:
        result = asyncio.run(
            run_load(
                server.base,
                users.request,
                concurrency=USERS,
                duration=seconds,
                setup=users.setup,
            )
        )
    figure(
        f"staff load, {USERS} users for {seconds:g} s",
        f"{result.requests} requests, {result.rps:.1f} requests/s, "
        f"p50 {result.p50 * 1000:.0f} ms, p95 {result.p95 * 1000:.0f} ms, "
        f"statuses {dict(result.statuses)}, errors {dict(result.errors)}, "
        f"GETs sent again after a closed keep-alive connection: {result.retried}",
    )
    figure("staff load, pages opened", str(dict(users.opened.most_common())))
    assert result.requests > 0
    assert result.failures(lambda status: status == 200) == 0, (result.statuses, result.errors)
    # The mix covered what the brief names: dashboard, lists, engagement pages, timeline,
    # reports.
    for kind in (
        "/dashboard",
        "/applications",
        "/applications/<id>",
        "/engagements",
        "/engagements/<id>",
        "/timeline",
        "/reports",
    ):
        assert users.opened[kind] > 0, kind
