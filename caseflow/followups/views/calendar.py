"""The calendar feeds ``/calendar/<token>.ics`` and the page that hands out their addresses.

The feed needs no login: its token is the credential. A new token is shown once, in the
answer to the POST that made it (never stored in the session or a flash message): its
address as https (``BASE_URL`` when set, else this request's host) and as ``webcal://``.
"""

from __future__ import annotations

from typing import Any

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.engagements.models import Engagement
from caseflow.engagements.services.common import EngagementNotPermitted
from caseflow.engagements.views.blueprint import engagement_sections
from caseflow.engagements.views.common import acting_member, load_engagement, page_url
from caseflow.extensions import db
from caseflow.followups.calendar import (
    SCOPE_ALL,
    FeedContext,
    build_feed,
    engagement_of_scope,
    engagement_scope,
    feed_created_at,
    feeds_of,
    is_known_scope,
    issue_token,
    may_subscribe,
    revoke_token,
    uid_host,
)
from caseflow.followups.views.blueprint import bp
from caseflow.staff.access import public, staff_required
from caseflow.translating import gettext as _
from caseflow.web.sections import PageSection
from caseflow.web.urls import absolute_url

ANCHOR = "calendar-title"
# Where the revoke form came from, so it goes back there.
BACK_TO_ENGAGEMENT = "engagement"


def _private(response: Response) -> Response:
    """A page showing a secret address: never cached, never sent on as a referrer."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/calendar/<token>.ics")
@public
def calendar_feed(token: str) -> Response:
    """A holder's milestones and follow-ups as iCalendar (RFC 5545); 404 for a token that
    does not (or no longer) open a feed."""
    context = FeedContext(
        host=uid_host(current_app.config.get("BASE_URL"), current_app.config.get("SERVER_NAME")),
        link_for=lambda engagement_id: absolute_url(
            "engagements.detail", engagement_id=engagement_id
        ),
    )
    body = build_feed(db.session, token, now=clock.now(), context=context)
    if body is None:
        abort(404)
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = 'inline; filename="caseflow.ics"'
    # Behind a secret address: no cache, shared or private, may keep a copy.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _addresses(token: str) -> dict[str, str]:
    https = absolute_url("followups.calendar_feed", token=token)
    return {"https": https, "webcal": "webcal://" + https.split("://", 1)[1]}


def _settings_page(*, issued: dict[str, Any] | None = None, status: int = 200) -> Response:
    member = acting_member()
    feeds = feeds_of(db.session, member.id)
    page = render_template(
        "followups/calendar.html",
        personal=next((feed for feed in feeds if feed.scope == SCOPE_ALL), None),
        engagement_feeds=[feed for feed in feeds if feed.scope != SCOPE_ALL],
        issued=issued,
    )
    return _private(make_response(page, status))


@bp.route("/calendar", methods=["GET", "POST"])
@staff_required
def calendar_settings() -> Response:
    """The calendar subscriptions of the logged-in person; POST issues (or replaces) their
    personal feed and shows its address once."""
    if request.method == "GET":
        return _settings_page()
    member = acting_member()
    try:
        token = issue_token(db.session, member, now=clock.now())
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    return _settings_page(issued={"addresses": _addresses(token), "organisation": None})


@bp.post("/engagements/<int:engagement_id>/calendar")
@staff_required
def engagement_calendar(engagement_id: int) -> Response:
    """Issue (or replace) the logged-in person's feed of one engagement (its team, leads
    and admins) and show its address once."""
    engagement = load_engagement(engagement_id)
    try:
        token = issue_token(db.session, acting_member(), engagement=engagement, now=clock.now())
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    return _settings_page(
        issued={
            "addresses": _addresses(token),
            "organisation": engagement.organisation.name,
            "engagement_id": engagement.id,
        }
    )


@bp.post("/calendar/revoke")
@staff_required
def revoke_calendar() -> Response:
    """Revoke one of the logged-in person's feeds (form field ``scope``); its address
    answers 404 from now on."""
    scope = request.form.get("scope", "")
    back_to_engagement = request.form.get("back") == BACK_TO_ENGAGEMENT
    if not is_known_scope(scope):
        flash(_("Dieses Kalender-Abo gibt es nicht."), "error")
        return redirect(url_for("followups.calendar_settings"))
    removed = revoke_token(db.session, acting_member(), scope, now=clock.now())
    db.session.commit()
    if removed:
        flash(
            _("Das Kalender-Abo ist widerrufen; die bisherige Adresse funktioniert nicht mehr."),
            "success",
        )
    else:
        flash(_("Dieses Kalender-Abo war bereits widerrufen."), "info")
    engagement_id = engagement_of_scope(scope)
    if back_to_engagement and engagement_id is not None:
        return redirect(page_url(engagement_id, ANCHOR))
    return redirect(url_for("followups.calendar_settings"))


@engagement_sections.connect
def _engagement_calendar(
    engagement: Engagement, *, session: Session, **_kwargs: Any
) -> PageSection | None:
    """The engagement page's calendar subscription, for those who may hold one; one
    statement."""
    member = acting_member()
    if not may_subscribe(engagement, member):
        return None
    scope = engagement_scope(engagement.id)
    return PageSection(
        "followups/_engagement_calendar.html",
        {
            "engagement_id": engagement.id,
            "scope": scope,
            "created_at": feed_created_at(session, member.id, scope),
        },
        order=90,
    )
