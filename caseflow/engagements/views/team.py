"""``/engagements/<id>/team``: who leads the engagement and who accompanies it."""

from __future__ import annotations

from flask import render_template, request

from caseflow import clock
from caseflow.engagements.forms.team import TeamForm
from caseflow.engagements.models import CLOSED_STATUSES, AssignmentRole, Engagement
from caseflow.engagements.services.team import (
    CapacityWarning,
    TeamChange,
    TeamNeedsConfirmation,
    set_team,
    team_candidates,
)
from caseflow.engagements.views.blueprint import bp
from caseflow.engagements.views.common import (
    Page,
    acting_member,
    load_engagement,
    refused,
    save_change,
    saved,
)
from caseflow.extensions import db
from caseflow.settings.services import current as current_setting
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.translating import ngettext

ANCHOR = "team-title"


def _closed_message(engagement: Engagement) -> str:
    return _(
        "Diese Prozessbegleitung ist „%(status)s“; ihr Team kann nicht mehr geändert werden.",
        status=engagement.status.label,
    )


def _render(
    engagement: Engagement,
    form: TeamForm,
    *,
    status: int = 200,
    warnings: list[CapacityWarning] | None = None,
) -> tuple[str, int]:
    page = render_template(
        "engagements/team.html",
        engagement=engagement,
        form=form,
        warnings=warnings or [],
        confirm_value=",".join(str(w.member.id) for w in sorted(warnings or [], key=_by_id)),
    )
    return page, status


def _by_id(warning: CapacityWarning) -> int:
    return warning.member.id


def _success_message(change: TeamChange) -> str:
    if not change.changed:
        return _("Das Team ist unverändert.")
    message = _("Das Team wurde gespeichert.")
    if change.reassigned:
        message += " " + ngettext(
            "%(num)d offener Meilenstein von %(names)s ist jetzt bei %(lead)s.",
            "%(num)d offene Meilensteine von %(names)s sind jetzt bei %(lead)s.",
            len(change.reassigned),
            names=", ".join(member.name for member in change.reassigned_from),
            lead=change.lead.name,
        )
    return message


@bp.route("/engagements/<int:engagement_id>/team", methods=["GET", "POST"])
@staff_required
def edit_team(engagement_id: int) -> Page:
    """Choose the lead consultant and the co-consultants (team, leads and admins only)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    if engagement.status in CLOSED_STATUSES:
        return refused(engagement_id, _closed_message(engagement), ANCHOR)
    candidates = team_candidates(db.session, engagement)
    if request.method == "GET":
        form = TeamForm(
            formdata=None,
            data={
                "lead": str(engagement.lead.id) if engagement.lead else "",
                "co": [
                    str(a.staff_member_id)
                    for a in engagement.assignments
                    if a.role is AssignmentRole.CO
                ],
                "version": engagement.version,
            },
        )
        form.offer(candidates)
        return _render(engagement, form)
    form = TeamForm()
    form.offer(candidates)
    if not form.validate():
        if form.form_errors:  # the version or the CSRF token: the form is stale or tampered
            return refused(engagement_id, " ".join(form.form_errors), ANCHOR)
        return _render(engagement, form, status=422)
    try:
        return save_change(
            engagement_id,
            ANCHOR,
            lambda: set_team(
                db.session,
                engagement,
                lead_id=form.lead_id,
                co_ids=form.co_ids,
                actor=acting_member(),
                now=clock.now(),
                expected_version=form.expected_version,
                capacity_limit=current_setting("CAPACITY_LIMIT"),
                confirmed_ids=form.confirmed_ids,
            ),
            lambda change: saved(engagement_id, _success_message(change), ANCHOR),
            form=form,
            again=lambda: _render(engagement, form, status=422),
        )
    except TeamNeedsConfirmation as pending:  # not a refusal: the form asks to confirm
        db.session.rollback()
        return _render(engagement, form, warnings=pending.warnings)
