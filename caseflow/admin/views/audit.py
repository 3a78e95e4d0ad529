"""``/admin/audit``: the audit log — every recorded change, newest first, filtered by who,
object, action and period, 100 a page — and ``/admin/audit.csv``, the matching events as a
CSV file for German Excel. Each export is itself recorded in the audit log.

A bad filter value is ignored with a German note on the page; the export refuses to guess
and answers with a page saying which value was wrong (the page's export link only ever
carries valid values)."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Response, render_template, request, url_for
from flask_babel import force_locale
from flask_login import current_user
from werkzeug.datastructures import MultiDict

from caseflow import clock
from caseflow.admin.queries import (
    EXPORT_OBJECT_TYPE,
    audit_actors,
    existing_objects,
    record_audit_export,
)
from caseflow.admin.views.blueprint import bp
from caseflow.audit.labels import ACTION_LABELS, action_label
from caseflow.audit.models import AuditEvent
from caseflow.audit.queries import (
    EventFilter,
    event_page,
    matching_events,
    recorded_actions,
    recorded_object_types,
)
from caseflow.extensions import db
from caseflow.portfolio.exports import CSV_MIMETYPE, guard_formula
from caseflow.staff.access import admin_required
from caseflow.staff.models import StaffMember
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.converters import MAX_ID
from caseflow.web.errors import render_error
from caseflow.web.filters import choice_filter, date_filter, page_links

# The language of the export, whatever the admin's interface language (as the reports).
EXPORT_LOCALE = "de"
# ``?actor=system``: events recorded without a staff member (scheduler, CLI, public form).
SYSTEM = "system"
_NUMBER = re.compile(r"[0-9]{1,12}")
_PAGE_DIGITS = 6

ACTOR = _l("Wer")
OBJECT_ID = _l("Objekt-ID")
FIRST_DAY = _l("Von")
LAST_DAY = _l("Bis")
UNKNOWN_OBJECT_TYPE = _l("Die Objektart „%(value)s“ gibt es nicht; der Filter wurde ignoriert.")
UNKNOWN_ACTION = _l("Die Aktion „%(value)s“ gibt es nicht; der Filter wurde ignoriert.")

# Readable names of the object types in the audit trail; an unknown type shows its key.
OBJECT_TYPE_LABELS = {
    "application": _l("Bewerbung"),
    "application_round": _l("Bewerbungsrunde"),
    EXPORT_OBJECT_TYPE: _l("Protokoll"),
    "demo": _l("Demodaten"),
    "engagement": _l("Prozessbegleitung"),
    "follow_up": _l("Wiedervorlage"),
    "insights": _l("Barrieren-Einblicke"),
    "notification": _l("Benachrichtigung"),
    "organisation": _l("Organisation"),
    "phase_template": _l("Phasenvorlage"),
    "selfcheck_statement": _l("Selbstcheck-Aussage"),
    "staff_member": _l("Mitarbeiter*in"),
}

# Object types with a page: the endpoint and the name of its id argument.
OBJECT_PAGES = {
    "application": ("intake.application", "application_id"),
    "engagement": ("engagements.detail", "engagement_id"),
    "organisation": ("organisations.detail", "organisation_id"),
    "phase_template": ("admin.edit_template", "template_id"),
    "selfcheck_statement": ("admin.selfcheck_version", "statement_id"),
}


def object_type_label(object_type: str) -> str:
    """The readable name of ``object_type``, or the key itself for a type without one."""
    label = OBJECT_TYPE_LABELS.get(object_type)
    return str(label) if label is not None else object_type


@dataclass(frozen=True)
class Option:
    """One option of a select box: the value sent and the label shown."""

    value: str
    label: str


@dataclass(frozen=True)
class LogFilters:
    """The valid filters of one request to the audit log."""

    actor: StaffMember | None = None
    is_system: bool = False
    object_type: str | None = None
    object_id: int | None = None
    action: str | None = None
    first_day: date | None = None
    last_day: date | None = None

    @property
    def query(self) -> EventFilter:
        """The filter as the audit queries take it."""
        return EventFilter(
            actor_id=self.actor.id if self.actor is not None else None,
            is_system=self.is_system,
            object_type=self.object_type,
            object_id=self.object_id,
            action=self.action,
            first_day=self.first_day,
            last_day=self.last_day,
        )

    @property
    def is_narrowed(self) -> bool:
        return bool(self.query.described())

    @property
    def actor_value(self) -> str:
        """The value of the "Wer" select box."""
        if self.is_system:
            return SYSTEM
        return str(self.actor.id) if self.actor is not None else ""

    def args(self, **changes: object) -> dict[str, str]:
        """The query parameters of this view, with ``changes`` applied (None drops one)."""
        values: dict[str, object] = {
            "actor": self.actor_value or None,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "action": self.action,
            "from": self.first_day,
            "to": self.last_day,
        }
        values.update(changes)
        return {
            key: value.isoformat() if isinstance(value, date) else str(value)
            for key, value in values.items()
            if value is not None
        }


@dataclass(frozen=True)
class Choices:
    """What the filter form offers."""

    actors: list[StaffMember]
    object_types: list[Option]
    actions: list[Option]


def _choices() -> Choices:
    """Actors who appear in the trail; object types and actions known to caseflow or found
    in the trail, by label. Three queries."""
    types = set(OBJECT_TYPE_LABELS) | set(recorded_object_types(db.session))
    actions = set(ACTION_LABELS) | set(recorded_actions(db.session))
    return Choices(
        actors=audit_actors(db.session),
        object_types=_options(types, object_type_label),
        actions=_options(actions, action_label),
    )


def _options(values: Iterable[str], label_of: Any) -> list[Option]:
    options = [Option(value, label_of(value)) for value in values]
    return sorted(options, key=lambda option: (option.label.casefold(), option.value))


def _known(raw: str | None, options: list[Option], notes: list[str], message: Any) -> str | None:
    """``raw`` if one of ``options`` has it as its value; else None and ``message`` (a
    translated text with ``%(value)s``) as a note."""
    if not raw:
        return None
    if any(option.value == raw for option in options):
        return raw
    notes.append(str(message) % {"value": raw})
    return None


def _actor(
    raw: str | None, actors: list[StaffMember], notes: list[str]
) -> tuple[StaffMember | None, bool]:
    if raw is not None and raw.strip() == SYSTEM:
        return None, True
    return choice_filter(raw, actors, notes, label=str(ACTOR)), False


def _object_id(raw: str | None, object_type: str | None, notes: list[str]) -> int | None:
    if not raw:
        return None
    value = raw.strip()
    if not _NUMBER.fullmatch(value) or not 0 < int(value) <= MAX_ID:
        notes.append(
            _(
                "%(label)s: „%(value)s“ ist keine gültige Nummer; der Filter wurde ignoriert.",
                label=OBJECT_ID,
                value=raw,
            )
        )
        return None
    if object_type is None:
        notes.append(
            _("Eine Objekt-ID gilt nur zusammen mit einer Objektart; der Filter wurde ignoriert.")
        )
        return None
    return int(value)


def _period(
    raw_from: str | None, raw_to: str | None, notes: list[str]
) -> tuple[date | None, date | None]:
    """Both ends of the period; a period whose start lies after its end is ignored whole."""
    first = date_filter(raw_from, notes, label=str(FIRST_DAY))
    last = date_filter(raw_to, notes, label=str(LAST_DAY))
    if first is not None and last is not None and first > last:
        notes.append(
            _(
                "„%(first)s“ (%(start)s) liegt nach „%(last)s“ (%(end)s); "
                "diese beiden Filter wurden ignoriert.",
                first=FIRST_DAY,
                start=first.strftime("%d.%m.%Y"),
                last=LAST_DAY,
                end=last.strftime("%d.%m.%Y"),
            )
        )
        return None, None
    return first, last


def _read_filters(args: MultiDict[str, str], choices: Choices, notes: list[str]) -> LogFilters:
    actor, is_system = _actor(args.get("actor"), choices.actors, notes)
    object_type = _known(args.get("object_type"), choices.object_types, notes, UNKNOWN_OBJECT_TYPE)
    action = _known(args.get("action"), choices.actions, notes, UNKNOWN_ACTION)
    first_day, last_day = _period(args.get("from"), args.get("to"), notes)
    return LogFilters(
        actor=actor,
        is_system=is_system,
        object_type=object_type,
        object_id=_object_id(args.get("object_id"), object_type, notes),
        action=action,
        first_day=first_day,
        last_day=last_day,
    )


def _page_number(raw: str | None, notes: list[str]) -> int:
    if not raw:
        return 1
    value = raw.strip()
    if value.isascii() and value.isdigit() and len(value) <= _PAGE_DIGITS and int(value) >= 1:
        return int(value)
    notes.append(
        _("„%(value)s“ ist keine gültige Seitenzahl; es wird die erste Seite gezeigt.", value=raw)
    )
    return 1


# -- what a row shows ------------------------------------------------------------------------


def _plain(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return _("ja") if value else _("nein")
    if isinstance(value, dict):
        return ", ".join(f"{key}={_plain(item)}" for key, item in sorted(value.items()))
    if isinstance(value, list):
        return "[" + ", ".join(_plain(item) for item in value) + "]"
    return str(value)


def change_items(changes: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The changed fields of an event as ``(field, text)``, by field: ``[old, new]`` pairs
    as "old → new", anything else as it is."""
    items = []
    for key, value in sorted((changes or {}).items()):
        if isinstance(value, list) and len(value) == 2:
            text = f"{_plain(value[0])} → {_plain(value[1])}"
        else:
            text = _plain(value)
        items.append((key, text))
    return items


@dataclass(frozen=True)
class LogRow:
    """One audit event as the table shows it."""

    event: AuditEvent
    action: str
    object_label: str
    object_url: str | None
    changes: list[tuple[str, str]]


def _rows(events: list[AuditEvent]) -> list[LogRow]:
    references = [
        (event.object_type, event.object_id)
        for event in events
        if event.object_type in OBJECT_PAGES
    ]
    existing = existing_objects(db.session, references) if references else set()
    rows = []
    for event in events:
        url = None
        if event.object_id is not None and (event.object_type, event.object_id) in existing:
            endpoint, argument = OBJECT_PAGES[event.object_type]
            url = url_for(endpoint, **{argument: event.object_id})
        rows.append(
            LogRow(
                event=event,
                action=action_label(event.action),
                object_label=object_type_label(event.object_type),
                object_url=url,
                changes=change_items(event.changes),
            )
        )
    return rows


@bp.get("/audit")
@admin_required
def audit_log() -> str:
    """The audit log: who changed what and when, newest first, 100 a page; filtered by who
    (a staff member or the system), object (type and id), action and period (Berlin days,
    both included). Bad filter values are ignored with a note."""
    notes: list[str] = []
    choices = _choices()
    filters = _read_filters(request.args, choices, notes)
    number = _page_number(request.args.get("page"), notes)
    page = event_page(db.session, filters.query, page=number)
    if page is None:
        notes.append(
            _(
                "Seite %(page)d gibt es nicht; es wird die erste Seite gezeigt.",
                page=number,
            )
        )
        page = event_page(db.session, filters.query, page=1)
    assert page is not None  # the first page always exists
    return render_template(
        "admin/audit.html",
        page=page,
        rows=_rows(page.events),
        page_links=page_links(page.page, page.pages),
        filters=filters,
        choices=choices,
        system=SYSTEM,
        notes=notes,
    )


# -- the export --------------------------------------------------------------------------------


def csv_headers() -> list[str]:
    return [
        _("Zeitpunkt"),
        _("Wer"),
        _("Aktion"),
        _("Objekt"),
        _("Objekt-ID"),
        _("Änderungen"),
        _("IP-Adresse"),
    ]


def csv_row(event: AuditEvent) -> list[str]:
    """One event as a CSV row: the time in Berlin with seconds, the texts defused against
    formulas (``guard_formula``), empty cells for no id and no IP address."""
    changes = "; ".join(f"{key}: {text}" for key, text in change_items(event.changes))
    return [
        clock.local(event.occurred_at).strftime("%d.%m.%Y %H:%M:%S"),
        guard_formula(event.actor_label),
        guard_formula(action_label(event.action)),
        guard_formula(object_type_label(event.object_type)),
        str(event.object_id) if event.object_id is not None else "",
        guard_formula(changes),
        guard_formula(event.ip_address or ""),
    ]


def audit_csv(events: Iterable[AuditEvent]) -> bytes:
    """The events as CSV bytes for German Excel: UTF-8 with a byte order mark, ``;`` between
    cells, CRLF line ends, the header row first; labels in German."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    with force_locale(EXPORT_LOCALE):
        writer.writerow(csv_headers())
        for event in events:
            writer.writerow(csv_row(event))
    return buffer.getvalue().encode("utf-8")


@bp.get("/audit.csv")
@admin_required
def audit_log_csv() -> Any:
    """Every audit event matching the filters of ``/admin/audit`` as CSV (UTF-8 with BOM,
    ``;``); the export is recorded as an ``audit.exported`` event with its filter.
    A bad filter value is answered with a page saying which (400), nothing exported."""
    notes: list[str] = []
    filters = _read_filters(request.args, _choices(), notes)
    if notes:
        return render_error(
            400,
            " ".join([*notes, _("Bitte wählen Sie die Filter auf der Protokollseite neu.")]),
        )
    actor = current_user._get_current_object()  # type: ignore[attr-defined]
    now = clock.now()
    export = record_audit_export(db.session, filters.query, actor=actor, now=now)
    # One statement, read in batches. The file is built before it is sent rather than
    # streamed, which would keep the request's database session open during the download;
    # the export is committed only once its file is complete.
    data = audit_csv(matching_events(db.session, filters.query, up_to_id=export.up_to_id))
    db.session.commit()
    response = Response(data, content_type=CSV_MIMETYPE)
    stamp = clock.local(now).strftime("%Y-%m-%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="protokoll-{stamp}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
