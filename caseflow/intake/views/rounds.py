"""Application rounds: leads and admins list, create and edit them."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.extensions import db
from caseflow.intake.forms.staff import RoundForm
from caseflow.intake.models import ApplicationRound
from caseflow.intake.queries import round_rows
from caseflow.intake.services.rounds import RoundError, save_round
from caseflow.intake.views.blueprint import bp
from caseflow.intake.views.common import acting_member, attach
from caseflow.staff.access import lead_required
from caseflow.translating import gettext as _


@bp.get("/applications/rounds")
@lead_required
def rounds() -> str:
    """Every round with its days, whether it is open now, and its number of applications."""
    return render_template(
        "intake/rounds.html",
        rows=round_rows(db.session),
        now=clock.now(),
    )


def _edit(round_: ApplicationRound | None) -> Response | tuple[str, int]:
    form = RoundForm()
    if round_ is not None and not form.is_submitted():
        form.name.data = round_.name
        form.first_day.data = round_.first_day
        form.last_day.data = round_.last_day
    if form.validate_on_submit():
        try:
            saved = save_round(
                db.session,
                round_,
                name=form.name.data,
                first_day=form.first_day.data,
                last_day=form.last_day.data,
                actor=acting_member(),
                now=clock.now(),
            )
            db.session.commit()
        except RoundError as error:
            db.session.rollback()
            attach(form, error.field, str(error))
        except IntegrityError:
            db.session.rollback()
            attach(
                form,
                "name",
                _(
                    "Eine Runde mit diesem Namen wurde gerade angelegt; bitte wählen Sie einen "
                    "anderen Namen."
                ),
            )
        else:
            flash(_("Die Bewerbungsrunde „%(name)s“ ist gespeichert.", name=saved.name), "success")
            return redirect(url_for("intake.rounds"))
    status = 422 if form.is_submitted() else 200
    return render_template("intake/round_form.html", form=form, round=round_), status


@bp.route("/applications/rounds/new", methods=["GET", "POST"])
@lead_required
def new_round() -> Response | tuple[str, int]:
    """Create a round."""
    return _edit(None)


@bp.route("/applications/rounds/<int:round_id>/edit", methods=["GET", "POST"])
@lead_required
def edit_round(round_id: int) -> Response | tuple[str, int]:
    """Change a round's name or days."""
    round_ = db.session.get(ApplicationRound, round_id)
    if round_ is None:
        abort(404)
    return _edit(round_)
