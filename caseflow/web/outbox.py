"""``/outbox``: read the mail written to the outbox folder, in development only.

Both pages answer 404 unless ``CASEFLOW_ENV`` is ``development`` and mail goes to the outbox.
A message's HTML part is never shown; the plain-text part is shown escaped.

``list_messages`` and ``read_message`` are the reading part, shared with the admins' page
``/admin/outbox`` (``caseflow.admin.views.outbox``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

from flask import Blueprint, abort, current_app, render_template

from caseflow.mail import OUTBOX_NAME, outbox_folder

bp = Blueprint("outbox", __name__, url_prefix="/outbox")

# The list shows the newest messages; a demo never needs more.
LIST_LIMIT = 500
SHOWN_HEADERS = (
    "From",
    "To",
    "Reply-To",
    "Subject",
    "Date",
    "Message-ID",
    "Auto-Submitted",
)


@dataclass(frozen=True)
class OutboxEntry:
    name: str
    sent_at: datetime | None
    to: str
    subject: str


@dataclass(frozen=True)
class OutboxMessage:
    """One message to show: the headers worth showing and the plain-text part."""

    name: str
    subject: str
    headers: list[tuple[str, str]]
    text: str
    has_html: bool


def outbox_enabled() -> bool:
    """True when the outbox page may be shown: development with the outbox backend."""
    return current_app.config["CASEFLOW_ENV"] == "development" and outbox_folder() is not None


def _folder_or_404() -> Path:
    folder = outbox_folder()
    if current_app.config["CASEFLOW_ENV"] != "development" or folder is None:
        abort(404)
    return folder


def _read(path: Path, *, headers_only: bool = False) -> EmailMessage:
    with path.open("rb") as handle:
        return BytesParser(policy=default_policy).parse(handle, headersonly=headers_only)  # type: ignore[return-value]


def _sent_at(message: EmailMessage) -> datetime | None:
    try:
        sent_at = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        return None
    # "-0000" means UTC of unknown origin; the filters want aware datetimes.
    return sent_at if sent_at.tzinfo else sent_at.replace(tzinfo=UTC)


def list_messages(folder: Path, limit: int = LIST_LIMIT) -> tuple[list[OutboxEntry], int]:
    """The newest ``limit`` messages in ``folder`` (headers only), newest first, and how many
    there are in all. Files that are not outbox messages are left out."""
    try:
        names = sorted(
            (path.name for path in folder.glob("*.eml") if OUTBOX_NAME.match(path.name)),
            reverse=True,
        )
    except OSError:
        return [], 0
    entries = []
    for name in names[:limit]:
        try:
            message = _read(folder / name, headers_only=True)
        except OSError:
            continue  # removed meanwhile
        entries.append(
            OutboxEntry(
                name=name,
                sent_at=_sent_at(message),
                to=str(message["To"] or ""),
                subject=str(message["Subject"] or ""),
            )
        )
    return entries, len(names)


def read_message(folder: Path, name: str) -> OutboxMessage | None:
    """The message ``name`` in ``folder``; None if the name is not an outbox message's or the
    file is not there or cannot be read. A text part in an unknown charset is shown as raw
    (decoded with replacement characters) rather than failing."""
    if not OUTBOX_NAME.match(name):
        return None
    try:
        email = _read(folder / name)
    except OSError:
        return None
    headers = [(header, str(email[header])) for header in SHOWN_HEADERS if header in email]
    body = email.get_body(preferencelist=("plain",))
    try:
        text = body.get_content() if body is not None else ""
    except (LookupError, UnicodeError):
        payload = body.get_payload(decode=True) if body is not None else b""
        text = (payload or b"").decode("utf-8", errors="replace")
    has_html = any(part.get_content_type() == "text/html" for part in email.walk())
    return OutboxMessage(
        name=name,
        subject=str(email["Subject"] or ""),
        headers=headers,
        text=text,
        has_html=has_html,
    )


@bp.get("")
def index():
    """The messages in the outbox, newest first."""
    folder = _folder_or_404()
    entries, total = list_messages(folder)
    return render_template(
        "web/outbox.html", entries=entries, folder=folder, total=total, limit=LIST_LIMIT
    )


@bp.get("/<name>")
def message(name: str):
    """One message: its headers and its plain-text part."""
    folder = _folder_or_404()
    shown = read_message(folder, name)
    if shown is None:
        abort(404)
    return render_template("web/outbox_message.html", name=name, message=shown)


index.is_public = True  # type: ignore[attr-defined]
message.is_public = True  # type: ignore[attr-defined]
