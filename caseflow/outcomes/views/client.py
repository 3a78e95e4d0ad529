"""The client view (issue 9): the public page ``/einblick/<token>`` where the client
organisation reads its own plan, and on the engagement page the section "Einblick für die
Organisation" with the routes that create, renew and revoke its link.

The public page is German whatever the visitor's language (the issue asks for German; the
session's choice of English is not applied here), read-only and printable, and carries the
headers of the other pages behind a secret address: never cached, never sent on as a
referrer, not indexed. Failed lookups are rate-limited per address, so that nobody can try
tokens in bulk; someone reading their own page is never counted.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, make_response, redirect, render_template
from flask_babel import force_locale
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.models import Engagement
from caseflow.engagements.services.common import may_edit
from caseflow.engagements.views.blueprint import engagement_sections
from caseflow.engagements.views.common import (
    Page,
    acting_member,
    load_engagement,
    page_url,
    save_change,
)
from caseflow.extensions import db, limiter
from caseflow.outcomes.client_view import (
    active_link,
    client_plan,
    engagement_by_token,
    issue_link,
    link_token,
    may_issue,
    revoke_link,
)
from caseflow.outcomes.models import ClientLink
from caseflow.outcomes.views.blueprint import bp
from caseflow.portfolio.views.handout import contact_email
from caseflow.staff.access import public, staff_required
from caseflow.translating import gettext as _
from caseflow.web.sections import PageSection
from caseflow.web.tokens import secret_key
from caseflow.web.urls import absolute_url

ANCHOR = "client-view-title"
# The page is German (issue 9: "in German").
PAGE_LOCALE = "de"
# Failed lookups (404) per client address; once used up, every request of that address is
# refused (429) until the window has passed. A 256-bit token cannot be guessed; this stops
# scanning the address space and keeps such traffic off the database.
FAILED_LOOKUPS_LIMIT = "30 per 10 minutes"


def _is_not_found(response: Response) -> bool:
    return response.status_code == 404


# --- the public page ------------------------------------------------------------------


@bp.get("/einblick/<token>")
@public
@limiter.limit(FAILED_LOOKUPS_LIMIT, scope="client-view-ip", deduct_when=_is_not_found)
def client_view(token: str) -> Response:
    """The engagement's plan for its client organisation: 404 for a malformed, unknown or
    revoked token (the same answer for each, so it tells nothing)."""
    engagement_id = engagement_by_token(db.session, token)
    if engagement_id is None:
        abort(404)
    today = clock.today()
    view = client_plan(db.session, engagement_id, today=today)
    if view is None:  # the engagement went away since the lookup
        abort(404)
    with force_locale(PAGE_LOCALE):
        page = render_template(
            "outcomes/client_view.html",
            view=view,
            handout=view.handout,
            engagement=view.engagement,
            today=today,
            contact_email=contact_email(),
        )
    response = make_response(page)
    # Behind a secret address: no cache may keep a copy, the address is not sent on to
    # other sites, and search engines leave it out should it ever be linked.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- the engagement page --------------------------------------------------------------


@engagement_sections.connect
def _client_link_section(
    engagement: Engagement, *, session: Session, **_kwargs: Any
) -> PageSection:
    """The section "Einblick für die Organisation": for those who may edit the engagement
    the current link to copy, when and by whom it was created, and the buttons; for others
    whether there is one. One statement."""
    can_edit = may_edit(engagement, acting_member())
    current = active_link(session, engagement.id)
    address = None
    if can_edit and current is not None:
        token = link_token(current.link, secret_key())
        address = absolute_url("outcomes.client_view", token=token) if token else None
    return PageSection(
        "outcomes/_client_link_section.html",
        {
            "engagement_id": engagement.id,
            "can_edit": can_edit,
            "can_issue": can_edit and may_issue(engagement),
            "current": current,
            "address": address,
        },
        order=80,
    )


@bp.post("/engagements/<int:engagement_id>/einblick/link")
@staff_required
def create_client_link(engagement_id: int) -> Page:
    """Create the engagement's client-view link, or a new one in place of the current
    (which then opens nothing): its team, leads and admins."""
    engagement = load_engagement(engagement_id, for_edit=True)
    renewing = active_link(db.session, engagement_id) is not None

    def done(_issued: tuple[ClientLink, str]) -> Response:
        if renewing:
            message = _(
                "Ein neuer Einblick-Link ist erzeugt. Der bisherige Link funktioniert nicht "
                "mehr; bitte senden Sie der Organisation den neuen."
            )
        else:
            message = _(
                "Der Einblick-Link ist erzeugt. Kopieren Sie ihn und senden Sie ihn der "
                "Organisation."
            )
        flash(message, "success")
        return _back(engagement_id)

    return save_change(
        engagement_id,
        ANCHOR,
        lambda: issue_link(
            db.session, engagement, actor=acting_member(), now=clock.now(), secret=secret_key()
        ),
        done,
    )


@bp.post("/engagements/<int:engagement_id>/einblick/revoke")
@staff_required
def revoke_client_link(engagement_id: int) -> Page:
    """Switch the engagement's client-view link off: its team, leads and admins."""
    engagement = load_engagement(engagement_id, for_edit=True)

    def done(revoked: bool) -> Response:
        if revoked:
            flash(
                _(
                    "Der Einblick-Link ist widerrufen. Wer ihn aufruft, sieht nur noch eine "
                    "Fehlerseite."
                ),
                "success",
            )
        else:
            flash(_("Für diese Prozessbegleitung gab es keinen aktiven Einblick-Link."), "info")
        return _back(engagement_id)

    return save_change(
        engagement_id,
        ANCHOR,
        lambda: revoke_link(db.session, engagement, actor=acting_member(), now=clock.now()),
        done,
    )


def _back(engagement_id: int) -> Response:
    return redirect(page_url(engagement_id, ANCHOR))
