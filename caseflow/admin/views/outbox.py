"""``/admin/outbox``: notification emails that failed or wait for another try (with a button
to send a failed one again), and, when mail goes to the outbox folder, the newest messages
written there. The admin start page warns when emails failed (``failed_mail_count``)."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from caseflow import clock
from caseflow.admin.views.blueprint import bp
from caseflow.extensions import db
from caseflow.followups.delivery import failed_mail_count, mail_problems, retry_mail
from caseflow.mail import outbox_folder
from caseflow.staff.access import admin_required
from caseflow.translating import gettext as _
from caseflow.web.outbox import list_messages, read_message

# The admins' page lists the newest files only; the development page /outbox shows more.
OUTBOX_FILES_SHOWN = 50


@bp.context_processor
def _mail_warning() -> dict[str, Callable[[], int]]:
    """Admin pages may ask ``failed_mail_count()``; only a page that calls it queries."""
    return {"failed_mail_count": lambda: failed_mail_count(db.session)}


@bp.get("/outbox")
@admin_required
def outbox() -> str:
    """Failed and retrying notification emails; the newest files of the outbox folder."""
    folder = outbox_folder()
    files, total = list_messages(folder, OUTBOX_FILES_SHOWN) if folder else ([], 0)
    return render_template(
        "admin/outbox.html",
        problems=mail_problems(db.session),
        folder=folder,
        files=files,
        total=total,
        files_shown=OUTBOX_FILES_SHOWN,
    )


@bp.get("/outbox/<name>")
@admin_required
def outbox_message(name: str) -> str:
    """One message of the outbox folder: its headers and its plain-text part."""
    folder = outbox_folder()
    shown = read_message(folder, name) if folder else None
    if shown is None:
        abort(404)
    return render_template("admin/outbox_message.html", message=shown)


@bp.post("/outbox/<int:notification_id>/retry")
@admin_required
def retry_notification_mail(notification_id: int) -> Response:
    """Send a failed notification email again (at the next delivery run)."""
    actor = current_user._get_current_object()  # type: ignore[attr-defined]
    if retry_mail(db.session, notification_id, actor=actor, now=clock.now()):
        db.session.commit()
        flash(_("Die E-Mail wird beim nächsten Versandlauf erneut gesendet."), "success")
    else:
        db.session.rollback()
        flash(
            _(
                "Diese E-Mail ist nicht (mehr) fehlgeschlagen – vielleicht hat sie schon "
                "jemand erneut angestoßen. Die Liste ist jetzt aktuell."
            ),
            "info",
        )
    return redirect(url_for("admin.outbox"))
