"""``/admin/data-protection``: data subject requests of contact persons and applicants —
search, what is held, export (JSON download, a readable page, and a ZIP file with the JSON and
the files of the case's documents), rectify, restrict, erase.

Two URL families with the same actions, ``/contact/<contact_id>`` and
``/application/<application_id>``; each view loads the record (404 when unknown), calls one
service of ``caseflow.admin.subjects`` and commits once.
"""

from __future__ import annotations

import json
import tempfile
from datetime import datetime
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import BooleanField
from wtforms.validators import DataRequired

from caseflow import clock
from caseflow.admin.subject_archive import record_archive, write_archive
from caseflow.admin.subjects import (
    SEARCH_MAX_LENGTH,
    SEARCH_MAX_RECORDS,
    ContactFields,
    StaleSubject,
    Subject,
    SubjectError,
    SubjectKind,
    SubjectNotPermitted,
    clean_query,
    erase,
    export,
    find_subjects,
    load_subject,
    rectify,
    set_restriction,
    subject_data,
)
from caseflow.admin.views.blueprint import bp
from caseflow.documents.sweeps import storage_root
from caseflow.extensions import db
from caseflow.organisations.forms import ContactDataForm
from caseflow.staff.access import admin_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

# German labels of the export's keys, for the readable pages.
LABELS: dict[str, Any] = {
    "format": _l("Format"),
    "exported_at": _l("Erstellt am"),
    "subject": _l("Datensatz"),
    "record": _l("Gespeicherte Angaben"),
    "organisation": _l("Organisation"),
    "round": _l("Bewerbungsrunde"),
    "reviews": _l("Bewertungen"),
    "audit_events": _l("Protokolleinträge"),
    "kind": _l("Art"),
    "id": _l("Nummer (intern)"),
    "name": _l("Name"),
    "role": _l("Funktion"),
    "email": _l("E-Mail-Adresse"),
    "phone": _l("Telefon"),
    "notes": _l("Notizen"),
    "is_primary": _l("Hauptansprechperson"),
    "is_restricted": _l("Verarbeitung eingeschränkt"),
    "anonymised_at": _l("Anonymisiert am"),
    "created_at": _l("Angelegt am"),
    "updated_at": _l("Geändert am"),
    "organisation_id": _l("Organisation (Nummer)"),
    "engagement_id": _l("Prozessbegleitung (Nummer)"),
    "reference": _l("Bewerbungsnummer"),
    "reference_year": _l("Jahr der Bewerbungsnummer"),
    "reference_number": _l("Laufende Nummer"),
    "status": _l("Status"),
    "submitted_at": _l("Eingegangen am"),
    "organisation_name": _l("Name der Organisation"),
    "sector": _l("Bereich"),
    "subtype": _l("Art der Einrichtung"),
    "district": _l("Bezirk"),
    "address": _l("Anschrift"),
    "website": _l("Website"),
    "staff_size": _l("Zahl der Mitarbeitenden"),
    "contact_name": _l("Name der Ansprechperson"),
    "contact_role": _l("Funktion"),
    "contact_email": _l("E-Mail-Adresse"),
    "contact_phone": _l("Telefon"),
    "motivation": _l("Motivation"),
    "known_barriers": _l("Bekannte Zugangsbarrieren"),
    "target_groups": _l("Zielgruppen"),
    "has_leadership_support": _l("Unterstützung durch die Leitung"),
    "leadership_support_by": _l("Unterstützt durch"),
    "steering_group": _l("Ressourcen für eine Prozessgruppe"),
    "desired_start": _l("Gewünschter Beginn"),
    "desired_duration_months": _l("Gewünschte Dauer (Monate)"),
    "consent_at": _l("Einwilligung am"),
    "consent_text_version": _l("Fassung des Einwilligungstexts"),
    "privacy_notice_version": _l("Fassung der Datenschutzhinweise"),
    "preliminary_talk_on": _l("Vorgespräch am"),
    "decision_reason": _l("Begründung der Entscheidung"),
    "decision_note": _l("Interne Notiz zur Entscheidung"),
    "decided_at": _l("Entschieden am"),
    "withdrawn_at": _l("Zurückgezogen am"),
    "score_leadership": _l("Leitungsunterstützung"),
    "score_resources": _l("Ressourcen für eine Prozessgruppe"),
    "score_relevance": _l("Relevanz für Drittstaatsangehörige"),
    "score_feasibility": _l("Machbarkeit im Förderzeitraum"),
    "comment": _l("Kommentar"),
    "occurred_at": _l("Zeitpunkt"),
    "action": _l("Vorgang"),
    "by": _l("Ausgelöst durch"),
    "changes": _l("Änderungen"),
    "ip_address": _l("IP-Adresse"),
    "mentions": _l("Erwähnungen in Notizen des Teams"),
    "table": _l("Wo"),
    "column": _l("Feld"),
    "excerpt": _l("Ausschnitt"),
    "extension_reason": _l("Grund der Verlängerung"),
    "status_reason": _l("Begründung des Status"),
    "note": _l("Notiz"),
    "description": _l("Beschreibung"),
    "measure_taken": _l("Ergriffene Maßnahme"),
    "evidence_note": _l("Nachweis"),
    "drop_reason": _l("Grund für das Entfallen"),
    "respondent_name": _l("Name (Selbstcheck)"),
    "respondent_role": _l("Funktion (Selbstcheck)"),
    "title": _l("Titel"),
    "file_name": _l("Dateiname"),
    "documents": _l("Dokumente der Prozessbegleitung"),
}
TABLE_LABELS = {
    "engagement": _l("Prozessbegleitung"),
    "milestone": _l("Meilenstein"),
    "activity": _l("Aktivität"),
    "barrier": _l("Zugangsbarriere"),
    "follow_up": _l("Wiedervorlage"),
    "selfcheck_response": _l("Selbstcheck-Antwort"),
    "selfcheck_answer": _l("Selbstcheck-Kommentar"),
    "document": _l("Dokument"),
    "document_version": _l("Dokumentfassung"),
}
BY_LABELS = {"staff": _l("Mitarbeiter*in"), "system": _l("System oder öffentliches Formular")}

ALREADY_ERASED = _l("Diese Daten waren bereits anonymisiert; es wurde nichts geändert.")


class RectifyForm(ContactDataForm):
    """The contact data of a contact person or an application; ``shown`` carries what the
    record was when the form was shown (``Subject.shown``)."""

    @classmethod
    def of(cls, subject: Subject) -> RectifyForm:
        return cls(
            formdata=None,
            data={
                "shown": subject.shown,
                "name": subject.name,
                "role": subject.role,
                "email": subject.email,
                "phone": subject.phone,
            },
        )

    def to_fields(self) -> ContactFields:
        return ContactFields(
            name=self.name.data or "",
            role=self.role.data or None,
            email=self.email.data or None,
            phone=self.phone.data or None,
        )


class EraseForm(FlaskForm):
    confirm = BooleanField(
        _l("Ich habe geprüft, dass diese Daten endgültig anonymisiert werden sollen."),
        validators=[
            DataRequired(
                _l(
                    "Bitte bestätigen Sie, dass die Daten endgültig anonymisiert werden sollen. "
                    "Die Anonymisierung kann nicht rückgängig gemacht werden."
                )
            )
        ],
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (restrict, lift the restriction)."""


def _actor() -> StaffMember:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _load(kind: SubjectKind, subject_id: int) -> Subject:
    subject = load_subject(db.session, kind, subject_id)
    if subject is None:
        abort(404)
    return subject


def _page_url(subject: Subject, anchor: str | None = None) -> str:
    if subject.kind is SubjectKind.CONTACT:
        return url_for("admin.subject_contact", contact_id=subject.id, _anchor=anchor)
    return url_for("admin.subject_application", application_id=subject.id, _anchor=anchor)


def _action_url(subject: Subject, action: str) -> str:
    if subject.kind is SubjectKind.CONTACT:
        return url_for(f"admin.subject_contact_{action}", contact_id=subject.id)
    return url_for(f"admin.subject_application_{action}", application_id=subject.id)


def _render_subject(
    subject: Subject,
    *,
    rectify_form: RectifyForm | None = None,
    erase_form: EraseForm | None = None,
    status: int = 200,
) -> tuple[str, int]:
    data = subject_data(db.session, subject, now=clock.now())
    page = render_template(
        "admin/subjects_detail.html",
        subject=subject,
        data=data,
        labels=LABELS,
        by_labels=BY_LABELS,
        rectify_form=rectify_form or RectifyForm.of(subject),
        erase_form=erase_form or EraseForm(formdata=None),
        action_form=ActionForm(formdata=None),
        action_url=lambda action: _action_url(subject, action),
    )
    return page, status


def _refused(subject: Subject, message: str) -> WerkzeugResponse:
    db.session.rollback()
    flash(message, "error")
    return redirect(_page_url(subject))


# --- search ----------------------------------------------------------------------------------


@bp.get("/data-protection")
@admin_required
def data_protection() -> tuple[str, int]:
    """Search for a person by name, email or application reference."""
    raw = request.args.get("q", "")
    query = clean_query(raw)
    persons = None
    error = None
    truncated = False
    notes = []
    if len(" ".join(raw.split())) > SEARCH_MAX_LENGTH:
        notes.append(
            _(
                "Der Suchbegriff ist länger als %(max)d Zeichen; gesucht wird nach den ersten "
                "%(max)d Zeichen.",
                max=SEARCH_MAX_LENGTH,
            )
        )
    if "q" in request.args:
        try:
            persons, truncated = find_subjects(db.session, query)
        except SubjectError as refused:
            error = str(refused)
    page = render_template(
        "admin/subjects.html",
        query=query,
        persons=persons,
        error=error,
        notes=notes,
        truncated=truncated,
        max_records=SEARCH_MAX_RECORDS,
    )
    return page, 422 if error else 200


# --- one record ------------------------------------------------------------------------------


def _show(kind: SubjectKind, subject_id: int) -> tuple[str, int]:
    return _render_subject(_load(kind, subject_id))


def _download_name(subject: Subject, now: datetime, extension: str) -> str:
    stamp = clock.local(now).strftime("%Y-%m-%d")
    return f"datenauskunft-{subject.kind.value}-{subject.id}-{stamp}.{extension}"


def _json_export(kind: SubjectKind, subject_id: int) -> Response:
    subject = _load(kind, subject_id)
    now = clock.now()
    data = export(db.session, subject, actor=_actor(), now=now, fmt="json")
    db.session.commit()
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False)
    response = Response(body + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{_download_name(subject, now, "json")}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _zip_export(kind: SubjectKind, subject_id: int) -> Response:
    """The JSON export and the files of the case's documents as one ZIP file, built in a
    temporary file on disk (gone once the response is closed)."""
    subject = _load(kind, subject_id)
    now = clock.now()
    target = tempfile.TemporaryFile()  # noqa: SIM115 (send_file closes it)
    try:
        try:
            archive = write_archive(
                db.session, subject, actor=_actor(), now=now, root=storage_root(), target=target
            )
        except SubjectNotPermitted:
            db.session.rollback()
            abort(403)
        db.session.commit()  # ends the reads: the export is recorded in a fresh transaction
        record_archive(db.session, subject, archive, actor=_actor(), now=now)
        db.session.commit()
        size = target.tell()
        target.seek(0)
        response = send_file(
            target,
            mimetype="application/zip",
            as_attachment=True,
            download_name=_download_name(subject, now, "zip"),
            conditional=False,
            etag=False,
            max_age=0,
        )
    except BaseException:
        target.close()
        raise
    response.content_length = size
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _html_export(kind: SubjectKind, subject_id: int) -> Response:
    subject = _load(kind, subject_id)
    data = export(db.session, subject, actor=_actor(), now=clock.now(), fmt="html")
    db.session.commit()
    response = Response(
        render_template(
            "admin/subjects_export.html",
            subject=subject,
            data=data,
            labels=LABELS,
            table_labels=TABLE_LABELS,
            by_labels=BY_LABELS,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _rectify(kind: SubjectKind, subject_id: int) -> WerkzeugResponse | tuple[str, int]:
    subject = _load(kind, subject_id)
    form = RectifyForm()
    if not form.validate_on_submit():
        return _render_subject(subject, rectify_form=form, status=422)
    try:
        changed = rectify(
            db.session,
            subject,
            fields=form.to_fields(),
            actor=_actor(),
            now=clock.now(),
            expected=form.shown.data or None,
        )
        db.session.commit()
    except SubjectNotPermitted:
        db.session.rollback()
        abort(403)
    except StaleSubject as error:
        return _refused(subject, str(error))
    except SubjectError as error:
        db.session.rollback()
        subject = _load(kind, subject_id)
        if error.field is not None and error.field in form:
            form[error.field].errors = [*form[error.field].errors, str(error)]
        else:
            form.form_errors.append(str(error))
        return _render_subject(subject, rectify_form=form, status=422)
    if changed:
        flash(_("Die Angaben wurden berichtigt."), "success")
    else:
        flash(_("Sie haben nichts geändert."), "info")
    return redirect(_page_url(subject))


def _restrict(kind: SubjectKind, subject_id: int, *, restricted: bool) -> WerkzeugResponse:
    subject = _load(kind, subject_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        changed = set_restriction(
            db.session, subject, restricted=restricted, actor=_actor(), now=clock.now()
        )
        db.session.commit()
    except SubjectNotPermitted:
        db.session.rollback()
        abort(403)
    except SubjectError as error:
        return _refused(subject, str(error))
    if restricted:
        message = (
            _(
                "Die Verarbeitung ist eingeschränkt: Es gehen keine E-Mails und Erinnerungen "
                "mehr an diese Person."
            )
            if changed
            else _("Die Verarbeitung war bereits eingeschränkt.")
        )
    else:
        message = (
            _("Die Einschränkung der Verarbeitung ist aufgehoben.")
            if changed
            else _("Die Verarbeitung war nicht eingeschränkt.")
        )
    flash(message, "success" if changed else "info")
    return redirect(_page_url(subject))


def _erase(kind: SubjectKind, subject_id: int) -> WerkzeugResponse | tuple[str, int]:
    subject = _load(kind, subject_id)
    if subject.is_anonymised:
        flash(str(ALREADY_ERASED), "info")
        return redirect(_page_url(subject))
    form = EraseForm()
    if not form.validate_on_submit():
        return _render_subject(subject, erase_form=form, status=422)
    try:
        done = erase(db.session, subject, actor=_actor(), now=clock.now())
        db.session.commit()
    except SubjectNotPermitted:
        db.session.rollback()
        abort(403)
    if done:
        flash(
            _(
                "Die personenbezogenen Daten wurden anonymisiert. Was für die Berichte an den "
                "Fördermittelgeber nötig ist, bleibt erhalten."
            ),
            "success",
        )
    else:
        flash(str(ALREADY_ERASED), "info")
    return redirect(_page_url(subject))


# --- routes: contact persons ------------------------------------------------------------------


@bp.get("/data-protection/contact/<int:contact_id>")
@admin_required
def subject_contact(contact_id: int) -> tuple[str, int]:
    """What caseflow holds about a contact person, and the actions."""
    return _show(SubjectKind.CONTACT, contact_id)


@bp.get("/data-protection/contact/<int:contact_id>.json")
@admin_required
def subject_contact_json(contact_id: int) -> Response:
    """Everything held about a contact person, as a JSON download (audited)."""
    return _json_export(SubjectKind.CONTACT, contact_id)


@bp.get("/data-protection/contact/<int:contact_id>/export")
@admin_required
def subject_contact_export(contact_id: int) -> Response:
    """Everything held about a contact person, as a readable page to print (audited)."""
    return _html_export(SubjectKind.CONTACT, contact_id)


@bp.get("/data-protection/contact/<int:contact_id>/export.zip")
@admin_required
def subject_contact_zip(contact_id: int) -> Response:
    """Everything held about a contact person with the files of the documents of their
    organisation's engagements, as a ZIP download (audited)."""
    return _zip_export(SubjectKind.CONTACT, contact_id)


@bp.post("/data-protection/contact/<int:contact_id>/rectify")
@admin_required
def subject_contact_rectify(contact_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _rectify(SubjectKind.CONTACT, contact_id)


@bp.post("/data-protection/contact/<int:contact_id>/restrict")
@admin_required
def subject_contact_restrict(contact_id: int) -> WerkzeugResponse:
    return _restrict(SubjectKind.CONTACT, contact_id, restricted=True)


@bp.post("/data-protection/contact/<int:contact_id>/unrestrict")
@admin_required
def subject_contact_unrestrict(contact_id: int) -> WerkzeugResponse:
    return _restrict(SubjectKind.CONTACT, contact_id, restricted=False)


@bp.post("/data-protection/contact/<int:contact_id>/erase")
@admin_required
def subject_contact_erase(contact_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _erase(SubjectKind.CONTACT, contact_id)


# --- routes: applications ------------------------------------------------------------------------


@bp.get("/data-protection/application/<int:application_id>")
@admin_required
def subject_application(application_id: int) -> tuple[str, int]:
    """What caseflow holds about an applicant (an application's contact), and the actions."""
    return _show(SubjectKind.APPLICATION, application_id)


@bp.get("/data-protection/application/<int:application_id>.json")
@admin_required
def subject_application_json(application_id: int) -> Response:
    """Everything held about an applicant, as a JSON download (audited)."""
    return _json_export(SubjectKind.APPLICATION, application_id)


@bp.get("/data-protection/application/<int:application_id>/export")
@admin_required
def subject_application_export(application_id: int) -> Response:
    """Everything held about an applicant, as a readable page to print (audited)."""
    return _html_export(SubjectKind.APPLICATION, application_id)


@bp.get("/data-protection/application/<int:application_id>/export.zip")
@admin_required
def subject_application_zip(application_id: int) -> Response:
    """Everything held about an applicant with the files of the documents of the engagement
    the application led to, as a ZIP download (audited)."""
    return _zip_export(SubjectKind.APPLICATION, application_id)


@bp.post("/data-protection/application/<int:application_id>/rectify")
@admin_required
def subject_application_rectify(application_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _rectify(SubjectKind.APPLICATION, application_id)


@bp.post("/data-protection/application/<int:application_id>/restrict")
@admin_required
def subject_application_restrict(application_id: int) -> WerkzeugResponse:
    return _restrict(SubjectKind.APPLICATION, application_id, restricted=True)


@bp.post("/data-protection/application/<int:application_id>/unrestrict")
@admin_required
def subject_application_unrestrict(application_id: int) -> WerkzeugResponse:
    return _restrict(SubjectKind.APPLICATION, application_id, restricted=False)


@bp.post("/data-protection/application/<int:application_id>/erase")
@admin_required
def subject_application_erase(application_id: int) -> WerkzeugResponse | tuple[str, int]:
    return _erase(SubjectKind.APPLICATION, application_id)
