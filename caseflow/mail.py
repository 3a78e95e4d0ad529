"""Outgoing mail: compose German messages from templates, send them through SMTP or the outbox.

The backend is chosen by the configuration, read on every call:

- ``MAIL_URL``: ``smtp://user:pass@host:25``, ``smtp+starttls://…:587``, ``smtps://…:465``,
  ``outbox:`` (the folder ``MAIL_OUTBOX``) or ``outbox:///absolute/folder``;
- otherwise ``MAIL_SERVER`` with ``MAIL_PORT``, ``MAIL_USERNAME``, ``MAIL_PASSWORD``,
  ``MAIL_USE_TLS`` (STARTTLS) and ``MAIL_USE_SSL``;
- with neither, the outbox: one ``.eml`` file per message in ``MAIL_OUTBOX`` (default
  ``<instance>/outbox``), readable on the development page ``/outbox``.

This module sits at the bottom of the import layers: it knows Flask and Flask-Babel, nothing
of caseflow's features.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import smtplib
import ssl
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import HeaderRegistry
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import Flask, current_app
from flask_babel import force_locale
from jinja2 import Environment, TemplateNotFound, select_autoescape

from caseflow.config import ConfigError

log = logging.getLogger(__name__)

MAIL_LOCALE = "de"
SMTP_SCHEMES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
# ``<UTC timestamp>-<random>.eml``, e.g. ``20251015T093012123456Z-3f9a0c2b7d1e4a56.eml``.
OUTBOX_NAME = re.compile(r"\A\d{8}T\d{12}Z-[0-9a-f]{16}\.eml\Z")
_EXTENSION_KEY = "caseflow.mail"
# A callable in ``app.extensions`` that gives the sender in effect (the admins' setting,
# ``caseflow.settings``); without it ``MAIL_DEFAULT_SENDER`` of the configuration is used.
SENDER_PROVIDER_KEY = "caseflow.mail.sender"
# The left part of a Message-ID (RFC 5322 dot-atom text, no spaces, ``<``, ``>`` or ``@``).
MESSAGE_ID_LEFT = re.compile(r"\A[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,200}\Z")


@dataclass(frozen=True)
class MailMessage:
    """One message to one recipient: a plain-text body and an optional HTML alternative."""

    to: str
    subject: str
    text: str
    html: str | None = None
    reply_to: str | None = None
    # Extra headers, e.g. ``(("Auto-Submitted", "auto-generated"),)`` (RFC 3834).
    headers: tuple[tuple[str, str], ...] = ()
    # A stable left part of the Message-ID (``notification-12.3f9a0c2b``); the sender's domain
    # is added. A message sent twice with the same id is shown once by mail programs. None: a
    # random id.
    message_id: str | None = None


class MailError(RuntimeError):
    """Sending failed; the message is for the log, not for the visitor."""


# The longest error text kept for a failed mail (``safe_reason``).
ERROR_LENGTH = 500


def safe_reason(error: Exception, recipient: str) -> str:
    """The error of a failed mail for the log and the admins: no password, no address (server
    replies may quote the recipient), not too long."""
    text = str(error).replace(recipient, "<recipient>") if recipient else str(error)
    config = current_app.config
    try:
        url_password = urlsplit(config.get("MAIL_URL") or "").password
    except ValueError:
        url_password = None
    for secret in (config.get("MAIL_PASSWORD"), url_password and unquote(url_password)):
        if secret:
            text = text.replace(str(secret), "***")
    if len(text) > ERROR_LENGTH:
        text = text[: ERROR_LENGTH - 1] + "…"
    return text


@dataclass(frozen=True)
class SmtpBackend:
    host: str
    port: int
    security: str  # "plain", "starttls" or "ssl"
    username: str | None
    password: str | None


@dataclass(frozen=True)
class OutboxBackend:
    folder: Path | None  # None: MAIL_OUTBOX or <instance>/outbox


Backend = SmtpBackend | OutboxBackend


# --- configuration ---------------------------------------------------------------------------


def parse_mail_url(url: str) -> Backend:
    """Turn a ``MAIL_URL`` into a backend; ``ConfigError`` (naming MAIL_URL) if malformed."""

    def bad(reason: str) -> ConfigError:
        return ConfigError(f"MAIL_URL={_redact(url)!r} is not valid: {reason}")

    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise bad(str(exc)) from exc
    scheme = parts.scheme.lower()
    if parts.query or parts.fragment:
        raise bad("no query or fragment allowed")
    if scheme == "outbox":
        if parts.netloc:
            raise bad("write outbox: or outbox:///absolute/folder")
        if not parts.path:
            return OutboxBackend(folder=None)
        folder = Path(unquote(parts.path))
        if not folder.is_absolute():
            raise bad("the outbox folder must be an absolute path (outbox:///…)")
        return OutboxBackend(folder=folder)
    if scheme not in SMTP_SCHEMES:
        raise bad(f"the scheme must be one of {', '.join([*SMTP_SCHEMES, 'outbox'])}")
    if not parts.hostname:
        raise bad("a host name is missing")
    if parts.path not in ("", "/"):
        raise bad("an SMTP URL has no path")
    security, default_port = SMTP_SCHEMES[scheme]
    return SmtpBackend(
        host=parts.hostname,
        port=port or default_port,
        security=security,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


def backend_for(config: Mapping[str, Any]) -> Backend:
    """The backend the configuration asks for (``MAIL_URL`` wins over ``MAIL_SERVER``)."""
    if config.get("MAIL_URL"):
        return parse_mail_url(config["MAIL_URL"])
    if config.get("MAIL_SERVER"):
        use_tls, use_ssl = bool(config.get("MAIL_USE_TLS")), bool(config.get("MAIL_USE_SSL"))
        if use_tls and use_ssl:
            raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL exclude each other; set only one")
        try:
            port = int(config.get("MAIL_PORT") or 25)
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"MAIL_PORT={config.get('MAIL_PORT')!r} is not a number") from exc
        return SmtpBackend(
            host=str(config["MAIL_SERVER"]),
            port=port,
            security="ssl" if use_ssl else "starttls" if use_tls else "plain",
            username=config.get("MAIL_USERNAME") or None,
            password=config.get("MAIL_PASSWORD") or None,
        )
    return OutboxBackend(folder=None)


def init_mail(app: Flask) -> None:
    """Check the mail configuration at startup (``ConfigError`` if malformed) and warn once in
    production when mail only goes to the outbox folder."""
    backend = backend_for(app.config)
    if not _parse_sender(app.config.get("MAIL_DEFAULT_SENDER") or ""):
        raise ConfigError("MAIL_DEFAULT_SENDER must be an address like 'Name <user@host>'")
    if isinstance(backend, OutboxBackend) and app.config["CASEFLOW_ENV"] == "production":
        log.warning(
            "No MAIL_URL or MAIL_SERVER set: mail is written to the folder %s, not sent.",
            _outbox_folder(app, backend),
        )


def outbox_folder(app: Flask | None = None) -> Path | None:
    """The outbox folder if the outbox is the configured backend, else None."""
    app = app or current_app
    try:
        backend = backend_for(app.config)
    except ConfigError:
        return None
    if not isinstance(backend, OutboxBackend):
        return None
    return _outbox_folder(app, backend)


def _outbox_folder(app: Flask, backend: OutboxBackend) -> Path:
    if backend.folder is not None:
        return backend.folder
    configured = app.config.get("MAIL_OUTBOX")
    return Path(configured) if configured else Path(app.instance_path) / "outbox"


# --- composing -------------------------------------------------------------------------------


def _mail_environment(app: Flask) -> Environment:
    """The app's Jinja environment, but ``.txt`` templates are not HTML-escaped."""
    env = app.extensions.get(_EXTENSION_KEY)
    if env is None:
        env = app.jinja_env.overlay(
            autoescape=select_autoescape(
                enabled_extensions=("html", "htm"), default_for_string=False, default=False
            )
        )
        app.extensions[_EXTENSION_KEY] = env
    return env


def compose(
    to: str, subject: str, template: str, *, locale: str | None = None, **context: Any
) -> MailMessage:
    """Render ``templates/mail/<template>.txt`` (plain text, not escaped) and, if it exists,
    ``templates/mail/<template>.html`` (autoescaped) in ``locale`` (default German, the
    language of every mail to applicants). Needs an app context.

    ``subject`` may be a ``lazy_gettext`` string: it is then turned into text of ``locale``
    here, whatever language the current visitor chose. Templates get ``context`` and the Jinja
    globals (``_``, ``url_for`` …), not the request's context processors.
    """
    env = _mail_environment(current_app._get_current_object())  # type: ignore[attr-defined]
    with force_locale(locale or MAIL_LOCALE):
        subject = str(subject)
        text = env.get_template(f"mail/{template}.txt").render(**context)
        try:
            html_template = env.get_template(f"mail/{template}.html")
        except TemplateNotFound:
            html = None
        else:
            html = html_template.render(**context)
    return MailMessage(to=to, subject=subject, text=text, html=html)


# --- sending ---------------------------------------------------------------------------------


def send_mail(message: MailMessage) -> None:
    """Send ``message`` now through the configured backend (read on every call).

    Raises ``MailError`` on any failure: a refused connection, a timeout, an SMTP error, or an
    address or header that cannot be sent (line breaks, not exactly one address).
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    config = app.config
    try:
        backend = backend_for(config)
    except ConfigError as exc:
        raise MailError(str(exc)) from exc
    sender = _sender(app)
    email = build_message(message, sender=sender)
    if isinstance(backend, OutboxBackend):
        _write_outbox(_outbox_folder(app, backend), email)
    else:
        _send_smtp(backend, email, timeout=float(config.get("MAIL_TIMEOUT") or 10))


def _sender(app: Flask) -> str:
    provider = app.extensions.get(SENDER_PROVIDER_KEY)
    sender = provider() if provider is not None else app.config.get("MAIL_DEFAULT_SENDER")
    return sender or ""


class _HeaderClasses(HeaderRegistry):
    """The email package's header classes, each made once: ``HeaderRegistry`` makes a new
    class for every field it parses, which cost a quarter of building a message."""

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        made = self._made.get(name.lower())
        if made is None:
            made = self._made[name.lower()] = super().__getitem__(name)
        return made


# email.policy.default, but with the header classes made once: the same parsing, checks and
# output (tests/test_mail.py compares them).
MAIL_POLICY = default_policy.clone(header_factory=_HeaderClasses())


def build_message(message: MailMessage, *, sender: str) -> EmailMessage:
    """The RFC 5322 message (UTF-8) for ``message``; ``MailError`` for unusable headers."""
    for name, value in (
        ("From", sender),
        ("To", message.to),
        ("Subject", message.subject),
        ("Reply-To", message.reply_to),
        ("Message-ID", message.message_id),
        *message.headers,
    ):
        if value is not None and ("\r" in value or "\n" in value or "\r" in name or "\n" in name):
            raise MailError(f"line break in the {name} header")
    sender_address = _parse_sender(sender)
    if not sender_address:
        raise MailError(f"MAIL_DEFAULT_SENDER {sender!r} is not an address")
    email = EmailMessage(policy=MAIL_POLICY)
    try:
        email["From"] = sender
        email["To"] = message.to
        email["Subject"] = message.subject
        if message.reply_to:
            email["Reply-To"] = message.reply_to
    except (ValueError, TypeError) as exc:
        raise MailError(f"unusable header: {exc}") from exc
    for name in ("To", "Reply-To"):
        if name in email and not _is_one_address(email[name]):
            raise MailError(f"the {name} header must hold exactly one address")
    email["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender_address.rpartition("@")[2]
    if message.message_id:
        if not MESSAGE_ID_LEFT.match(message.message_id):
            raise MailError(f"unusable Message-ID part {message.message_id!r}")
        email["Message-ID"] = f"<{message.message_id}@{domain}>"
    else:
        email["Message-ID"] = make_msgid(domain=domain or None)
    email.set_content(message.text, charset="utf-8")
    if message.html is not None:
        email.add_alternative(message.html, subtype="html", charset="utf-8")
    # After the content: setting it drops every Content-* header (Content-Language, say).
    try:
        for name, value in message.headers:
            email[name] = value
    except (ValueError, TypeError) as exc:
        raise MailError(f"unusable header: {exc}") from exc
    return email


def _is_one_address(header: Any) -> bool:
    addresses = getattr(header, "addresses", ())
    if len(addresses) != 1:
        return False
    address = addresses[0]
    return bool(address.username and address.domain) and not header.defects


def _parse_sender(sender: str) -> str | None:
    if "\r" in sender or "\n" in sender:
        return None
    address = parseaddr(sender)[1]
    return address if "@" in address else None


def _send_smtp(backend: SmtpBackend, email: EmailMessage, *, timeout: float) -> None:
    envelope_from = parseaddr(str(email["From"]))[1]
    recipient = email["To"].addresses[0].addr_spec
    context = ssl.create_default_context()
    try:
        if backend.security == "ssl":
            connection: smtplib.SMTP = smtplib.SMTP_SSL(
                backend.host, backend.port, timeout=timeout, context=context
            )
        else:
            connection = smtplib.SMTP(backend.host, backend.port, timeout=timeout)
        with connection:
            if backend.security == "starttls":
                connection.starttls(context=context)
            if backend.username:
                connection.login(backend.username, backend.password or "")
            refused = connection.send_message(email, envelope_from, [recipient])
    except (smtplib.SMTPException, OSError, ValueError, UnicodeError) as exc:
        raise MailError(
            f"SMTP {backend.host}:{backend.port} failed: {exc.__class__.__name__}: {exc}"
        ) from exc
    if refused:
        raise MailError(f"SMTP {backend.host}:{backend.port} refused {', '.join(refused)}")


def _write_outbox(folder: Path, email: EmailMessage) -> Path:
    """Write ``email`` as ``<UTC timestamp>-<random>.eml``, atomically (temp file + rename)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    name = f"{stamp}-{secrets.token_hex(8)}.eml"
    try:
        data = email.as_bytes()  # in its own policy, MAIL_POLICY
    except (UnicodeError, ValueError) as exc:
        # A sender from the configuration with a non-ASCII domain, say (the settings page
        # refuses one): say so as a mail failure instead of failing the request.
        raise MailError(f"the message cannot be written: {exc.__class__.__name__}") from exc
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=folder, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temporary, folder / name)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise MailError(f"outbox {folder} not writable: {exc}") from exc
    return folder / name


def prune_outbox(app: Flask, before: datetime) -> int:
    """Delete the outbox files written before ``before`` (by the UTC time in their name):
    they hold applicants' names and addresses, which must go when the retention period
    ends. Returns how many; 0 when mail does not go to an outbox folder. Files it cannot
    delete are logged and left."""
    folder = outbox_folder(app)
    if folder is None or not folder.is_dir():
        return 0
    limit = before.astimezone(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    pruned = 0
    for path in folder.glob("*.eml"):
        if OUTBOX_NAME.match(path.name) and path.name[:22] < limit:
            try:
                path.unlink()
            except OSError as exc:
                log.warning("outbox file %s could not be deleted: %s", path.name, exc)
                continue
            pruned += 1
    return pruned


def _redact(url: str) -> str:
    """``url`` without its password, for error messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)
