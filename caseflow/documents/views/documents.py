"""The documents of an engagement: the section on the engagement page, the documents page
(every version, the trash), uploading, downloading, deleting and restoring.

Reading needs what the engagement page needs (``load_engagement``: a consultant outside
the team gets 404); changing needs who may change the engagement. Downloads go out as
attachments under their original name; PDF and images may be shown in the browser
(``?anzeigen=1``), always with ``X-Content-Type-Options: nosniff`` and caseflow's CSP. A
stored file whose bytes no longer match its SHA-256 is not served: the page says so, the
log and the audit trail record it, and the admins are told (``caseflow.documents.integrity``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import (
    abort,
    current_app,
    g,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response
from wtforms import BooleanField, HiddenField, MultipleFileField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from caseflow import clock
from caseflow.documents import storage
from caseflow.documents.content import FileKind
from caseflow.documents.integrity import report_damage
from caseflow.documents.models import FILE_NAME_LENGTH, Document, DocumentKind
from caseflow.documents.queries import document_of, documents_of
from caseflow.documents.services import (
    MEGABYTE,
    Limits,
    Upload,
    complete_with_evidence,
    remove_files,
    restore_document,
    trash_document,
    upload_documents,
)
from caseflow.documents.sweeps import storage_root
from caseflow.documents.views.blueprint import bp
from caseflow.engagements.forms.common import DayField
from caseflow.engagements.models import Engagement, MilestoneStatus
from caseflow.engagements.services.common import (
    EngagementError,
    EngagementNotPermitted,
    may_edit,
    stale_message,
)
from caseflow.engagements.views.blueprint import engagement_sections, milestone_notes
from caseflow.engagements.views.common import (
    Page,
    acting_member,
    load_engagement,
    refused,
    save_change,
    saved,
)
from caseflow.extensions import csrf, db
from caseflow.staff.access import staff_required
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.translating import ngettext
from caseflow.web.converters import form_id
from caseflow.web.input import takes_files, upload_too_large
from caseflow.web.sections import ListColumn, PageSection

ANCHOR = "documents-title"
# Room in a request for the form's other fields and the multipart framing.
REQUEST_OVERHEAD = MEGABYTE


class UploadForm(FlaskForm):
    """The upload form. The files are read from ``request.files``; the ``files`` field is
    there for the control and its messages."""

    files = MultipleFileField(_l("Dateien"))
    title = StringField(_l("Titel (bei einer Datei)"))
    kind = SelectField(
        _l("Art"),
        choices=[SelectChoice(kind.value, kind.label) for kind in DocumentKind],
        default=DocumentKind.SONSTIGES.value,
    )
    milestone_id = SelectField(_l("Nachweis für Meilenstein"), choices=[], validate_choice=False)
    complete = BooleanField(_l("Den Meilenstein damit als erledigt markieren"))
    completed_on = DayField(_l("Erledigt am"))

    @property
    def csrf_failed(self) -> bool:
        return bool(self.meta.csrf and self.csrf_token.errors)

    def validate(self, extra_validators: Any = None) -> bool:
        if not self.complete.data:
            # The day counts only with the box ticked: a day left half typed is no error.
            self.completed_on.process_errors = []
            self.completed_on.data = None
        return super().validate(extra_validators)


class ActionForm(FlaskForm):
    version = HiddenField()


def _trash_days() -> int:
    return int(current_app.config["DOCUMENT_TRASH_DAYS"])


def _milestone_choices(engagement: Engagement) -> list[SelectChoice]:
    return [SelectChoice("", _("– keiner –"))] + [
        SelectChoice(str(milestone.id), f"{phase.position}. {phase.name}: {milestone.title}")
        for phase in engagement.phases
        for milestone in phase.milestones
    ]


def _upload_form(engagement: Engagement, *, formdata: Any = None) -> UploadForm:
    form = UploadForm(formdata=formdata) if formdata is not None else UploadForm(formdata=None)
    form.milestone_id.choices = _milestone_choices(engagement)
    if formdata is None:
        form.completed_on.data = clock.today()
        wanted = request.args.get("meilenstein")
        if wanted:
            form.milestone_id.data = wanted
            form.complete.data = request.args.get("erledigen") == "1"
    return form


def _page_documents(session: Session, engagement_id: int) -> list[Document]:
    """The engagement's documents, read once per request for the section and the milestone
    notes of the engagement page."""
    cache = g.setdefault("engagement_documents", {})
    if engagement_id not in cache:
        cache[engagement_id] = documents_of(session, engagement_id)
    return cache[engagement_id]


@engagement_sections.connect
def _documents_section(
    engagement: Engagement, *, session: Session, today: date, **_kwargs: Any
) -> PageSection:
    """The engagement's current documents and the upload form (three statements)."""
    documents = [item for item in _page_documents(session, engagement.id) if not item.in_trash]
    return PageSection(
        "documents/_section.html",
        {
            "engagement_id": engagement.id,
            "documents": documents,
            "can_edit": may_edit(engagement, acting_member()),
            "form": _upload_form(engagement),
            "max_mb": current_app.config["DOCUMENT_MAX_MB"],
            "max_files": current_app.config["DOCUMENT_MAX_FILES"],
        },
        order=30,
    )


@dataclass(frozen=True)
class MilestoneDocuments:
    """What the engagement page shows under a milestone: its documents and the way to
    upload one for it."""

    links: list[tuple[str, str]]
    action: tuple[str, str] | None


@milestone_notes.connect
def _milestone_documents(engagement: Engagement, *, session: Session, **_kwargs: Any) -> ListColumn:
    """Under each milestone its evidence documents (read with the section's, no statement
    of its own), and "Nachweis
    hochladen" (the documents page with the milestone chosen)."""
    evidence: dict[int, list[Document]] = {}
    for document in _page_documents(session, engagement.id):
        if document.milestone_id is not None and not document.in_trash:
            evidence.setdefault(document.milestone_id, []).append(document)
    values = {}
    for phase in engagement.phases:
        for milestone in phase.milestones:
            documents = evidence.get(milestone.id, [])
            values[milestone.id] = MilestoneDocuments(
                links=[
                    (
                        document.title,
                        url_for(
                            "documents.download",
                            engagement_id=engagement.id,
                            document_id=document.id,
                            number=document.latest.number,
                        ),
                    )
                    for document in documents
                ],
                action=(
                    str(_("Nachweis hochladen")),
                    url_for(
                        "documents.documents",
                        engagement_id=engagement.id,
                        meilenstein=milestone.id,
                        # An open milestone's evidence usually means it is done: the form
                        # offers to mark it so (ticked, the day editable).
                        erledigen=1 if milestone.status is MilestoneStatus.OFFEN else None,
                        _anchor="upload-title",
                    ),
                ),
            )
    return ListColumn(heading=str(_("Dokumente")), values=values, default=None)


def _render_page(
    engagement: Engagement, *, form: UploadForm | None = None, status: int = 200
) -> tuple[str, int]:
    return (
        render_template(
            "documents/index.html",
            engagement=engagement,
            documents=documents_of(db.session, engagement.id),
            can_edit=may_edit(engagement, acting_member()),
            form=form or _upload_form(engagement),
            max_mb=current_app.config["DOCUMENT_MAX_MB"],
            max_files=current_app.config["DOCUMENT_MAX_FILES"],
            trash_days=_trash_days(),
        ),
        status,
    )


@bp.get("/engagements/<int:engagement_id>/dokumente")
@staff_required
def documents(engagement_id: int) -> tuple[str, int]:
    """Every document of the engagement with all versions, and the trash."""
    return _render_page(load_engagement(engagement_id))


def _request_limit() -> int:
    config = current_app.config
    return (
        int(config["DOCUMENT_MAX_MB"]) * MEGABYTE * int(config["DOCUMENT_MAX_FILES"])
        + REQUEST_OVERHEAD
    )


# Exempt from the global CSRF check, made in the view instead (``csrf.protect``): the body
# is read by the input hook under this view's own size limit (``takes_files``), and a body
# over it, or a form whose token expired, must reach the view, which answers with its form.
@bp.post("/engagements/<int:engagement_id>/dokumente")
@staff_required
@csrf.exempt
@takes_files(_request_limit)
def upload(engagement_id: int) -> Page:
    """Upload one or more files (all or nothing)."""
    engagement = load_engagement(engagement_id, for_edit=True)
    if upload_too_large():
        form = _upload_form(engagement)
        form.files.errors = [
            ngettext(
                "Zu viele oder zu große Dateien auf einmal: höchstens %(num)d Datei mit bis "
                "zu %(size)d MB.",
                "Zu viele oder zu große Dateien auf einmal: höchstens %(num)d Dateien mit "
                "je bis zu %(size)d MB.",
                int(current_app.config["DOCUMENT_MAX_FILES"]),
                size=current_app.config["DOCUMENT_MAX_MB"],
            )
        ]
        return _render_page(engagement, form=form, status=413)
    # A file input left empty still sends one part without a name.
    files = [item for item in request.files.getlist("files") if item.filename]
    form = _upload_form(engagement, formdata=request.form)
    try:
        if current_app.config.get("WTF_CSRF_ENABLED", True):
            # What the global check would have done: the token, and on HTTPS the Referer.
            csrf.protect()
        valid = form.validate()
    except CSRFError as error:
        valid = False
        form.csrf_token.errors = [str(error.description)]
    if not valid:
        if form.csrf_failed:
            form.form_errors.append(
                _("Ihre Sitzung war abgelaufen. Bitte wählen Sie die Dateien noch einmal aus.")
            )
        return _render_page(engagement, form=form, status=422)
    try:
        return _store(engagement, form, files)
    finally:
        for item in files:
            item.close()


def _store(engagement: Engagement, form: UploadForm, files: list[FileStorage]) -> Page:
    """The upload's files checked and stored (all or nothing), and the answer."""
    engagement_id = engagement.id
    uploads = [Upload(stream=item.stream, file_name=item.filename) for item in files]
    if len(uploads) > int(current_app.config["DOCUMENT_MAX_FILES"]):
        form.files.errors = [
            ngettext(
                "Bitte laden Sie höchstens %(num)d Datei auf einmal hoch.",
                "Bitte laden Sie höchstens %(num)d Dateien auf einmal hoch.",
                int(current_app.config["DOCUMENT_MAX_FILES"]),
            )
        ]
        return _render_page(engagement, form=form, status=422)
    milestone = form_id(form.milestone_id.data) if form.milestone_id.data else None
    if form.milestone_id.data and milestone is None:
        form.milestone_id.errors = [
            _("Bitte wählen Sie einen Meilenstein dieser Prozessbegleitung.")
        ]
        return _render_page(engagement, form=form, status=422)
    root = storage_root()
    uploaded = None
    completed = None
    try:
        if form.complete.data:
            # First, so that a refusal comes before the files are checked and stored.
            completed = complete_with_evidence(
                db.session,
                engagement,
                milestone,
                actor=acting_member(),
                now=clock.now(),
                completed_on=form.completed_on.data,
            )
        uploaded = upload_documents(
            db.session,
            engagement,
            uploads,
            title=form.title.data,
            kind=DocumentKind(form.kind.data),
            milestone_id=milestone,
            actor=acting_member(),
            now=clock.now(),
            root=root,
            limits=Limits.of(current_app.config),
        )
        db.session.commit()
    except EngagementNotPermitted:
        db.session.rollback()
        abort(403)
    except EngagementError as error:
        # A refused file, title or milestone, or a milestone that cannot be completed.
        db.session.rollback()
        target = form[error.field] if error.field and error.field in form else None
        if target is not None:
            target.errors = [*target.errors, str(error)]
        else:
            form.form_errors.append(str(error))
        return _render_page(engagement, form=form, status=422)
    except (IntegrityError, StaleDataError):
        db.session.rollback()
        if uploaded is not None:
            uploaded.undo_files()
        form.form_errors.append(
            _(
                "Gleichzeitig wurde ein Dokument mit diesem Titel hochgeladen. Es wurde nichts "
                "gespeichert; bitte prüfen Sie die Liste und laden Sie die Datei noch einmal hoch."
            )
        )
        return _render_page(engagement, form=form, status=409)
    except BaseException:
        db.session.rollback()
        if uploaded is not None:
            uploaded.undo_files()
        raise
    count = len(uploaded.versions)
    message = ngettext("%(num)d Datei gespeichert.", "%(num)d Dateien gespeichert.", count)
    if completed is not None:
        message = " ".join(
            [message, _("Der Meilenstein „%(title)s“ ist erledigt.", title=completed.title)]
        )
    done = saved(engagement_id, message, ANCHOR)
    if request.headers.get("X-Upload-Progress") == "1":
        # Sent in the background (static/js/upload.js): the page goes on by itself, and the
        # confirmation waits in the session for the page it goes to.
        return jsonify(location=done.headers["Location"])
    return done


def _document_or_404(engagement_id: int, document_id: int) -> Document:
    document = document_of(db.session, engagement_id, document_id)
    if document is None:
        abort(404)
    return document


@bp.get("/engagements/<int:engagement_id>/dokumente/<int:document_id>/fassung/<int:number>")
@staff_required
def download(engagement_id: int, document_id: int, number: int) -> Response | tuple[str, int]:
    """One version of a document, as an attachment (``?anzeigen=1``: shown in the browser,
    PDF and images only). A document in the trash is for those who may change it."""
    engagement = load_engagement(engagement_id)
    document = _document_or_404(engagement_id, document_id)
    if document.in_trash and not may_edit(engagement, acting_member()):
        abort(404)
    version = next((item for item in document.versions if item.number == number), None)
    if version is None:
        abort(404)
    root = storage_root()
    if not storage.intact(root, version.storage_name, version.sha256):
        # A GET reads in a deferred transaction; on SQLite it could not turn into a write
        # once someone else wrote meanwhile (reading the file takes a moment): a new one.
        db.session.commit()
        report_damage(
            db.session,
            version,
            engagement_id=engagement_id,
            actor=acting_member(),
            now=clock.now(),
        )
        db.session.commit()
        return render_template(
            "documents/damaged.html", engagement=engagement, document=document, version=version
        ), 409
    kind = FileKind(version.file_kind)
    inline = request.args.get("anzeigen") == "1" and kind.inline
    response = send_file(
        storage.stored_path(root, version.storage_name),
        mimetype=kind.content_type,
        as_attachment=not inline,
        download_name=version.file_name[:FILE_NAME_LENGTH],
        conditional=True,
        etag=version.sha256,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _action(engagement_id: int, document_id: int) -> Document | None:
    """The document a delete or restore form was sent for; None when the form was shown on
    an older state of it (the caller answers with the stale message)."""
    load_engagement(engagement_id, for_edit=True)
    document = _document_or_404(engagement_id, document_id)
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    return document if form.version.data == str(document.version) else None


@bp.post("/engagements/<int:engagement_id>/dokumente/<int:document_id>/loeschen")
@staff_required
def delete(engagement_id: int, document_id: int) -> Page:
    document = _action(engagement_id, document_id)
    if document is None:
        return refused(engagement_id, stale_message(), ANCHOR)
    trash_days = _trash_days()

    def done(names: list[str]) -> Page:
        remove_files(storage_root(), names)  # deleted at once: the files go after the commit
        if trash_days > 0:
            message = ngettext(
                "Das Dokument liegt %(num)d Tag im Papierkorb und kann bis dahin "
                "wiederhergestellt werden.",
                "Das Dokument liegt %(num)d Tage im Papierkorb und kann bis dahin "
                "wiederhergestellt werden.",
                trash_days,
            )
        else:
            message = _("Das Dokument ist gelöscht.")
        return saved(engagement_id, message, ANCHOR)

    return save_change(
        engagement_id,
        ANCHOR,
        lambda: trash_document(
            db.session, document, actor=acting_member(), now=clock.now(), trash_days=trash_days
        ),
        done,
    )


@bp.post("/engagements/<int:engagement_id>/dokumente/<int:document_id>/wiederherstellen")
@staff_required
def restore(engagement_id: int, document_id: int) -> Page:
    document = _action(engagement_id, document_id)
    if document is None:
        return refused(engagement_id, stale_message(), ANCHOR)
    return save_change(
        engagement_id,
        ANCHOR,
        lambda: restore_document(db.session, document, actor=acting_member(), now=clock.now()),
        lambda _result: saved(engagement_id, _("Das Dokument ist wiederhergestellt."), ANCHOR),
    )
