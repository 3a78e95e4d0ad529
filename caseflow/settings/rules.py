"""The settings admins may change (issue 7 point 2): for each its configuration key, German
label and help text, its type with the checks of a single value, and the checks that tie
several settings together (the programme window, minimum and maximum duration, …).

A type turns what was typed (a form field, an environment variable) into a value, a value
into JSON for ``AppSetting.value`` and back, and a value into the text a form field shows.
Every refusal is a ``SettingError`` with a German message; nothing here touches the
database or the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from email.utils import parseaddr
from typing import Any

import limits
from dateutil.relativedelta import relativedelta

from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l
from caseflow.web.filters import parse_day
from caseflow.web.i18n import format_day

Raw = str | Sequence[str]


class SettingError(ValueError):
    """A value that a setting does not accept; the message is German and says what fits."""


def _text(raw: Raw) -> str:
    if not isinstance(raw, str):
        raw = ", ".join(str(part) for part in raw)
    return raw.strip()


def _required(raw: Raw) -> str:
    text = _text(raw)
    if not text:
        raise SettingError(_("Bitte geben Sie einen Wert an."))
    return text


# -- types -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DateKind:
    """A calendar day, typed as ``2026-07-31`` (what ``<input type="date">`` sends) or
    ``31.07.2026``; stored as ISO text."""

    input_type: str = "date"
    earliest: date = date(2000, 1, 1)
    latest: date = date(2100, 12, 31)

    def parse(self, raw: Raw) -> date:
        day = parse_day(_required(raw))
        if day is None:
            raise SettingError(
                _("Bitte geben Sie ein gültiges Datum ein, z. B. 2026-07-31 oder 31.07.2026.")
            )
        if not self.earliest <= day <= self.latest:
            raise SettingError(
                _(
                    "Bitte geben Sie ein Datum zwischen dem %(earliest)s und dem %(latest)s ein.",
                    earliest=format_day(self.earliest),
                    latest=format_day(self.latest),
                )
            )
        return day

    def to_json(self, value: date) -> str:
        return value.isoformat()

    def from_json(self, stored: Any) -> date:
        return self.parse(str(stored))

    def field_text(self, value: date) -> str:
        return value.isoformat()

    def display(self, value: date) -> str:
        return format_day(value)


@dataclass(frozen=True)
class IntKind:
    """A whole number between ``minimum`` and ``maximum`` (both included)."""

    minimum: int
    maximum: int
    input_type: str = "text"

    def parse(self, raw: Raw) -> int:
        text = _required(raw)
        if not re.fullmatch(r"\d{1,9}", text):
            raise SettingError(
                _(
                    "Bitte geben Sie eine ganze Zahl zwischen %(min)d und %(max)d ein.",
                    min=self.minimum,
                    max=self.maximum,
                )
            )
        value = int(text)
        if not self.minimum <= value <= self.maximum:
            raise SettingError(
                _(
                    "Bitte geben Sie eine ganze Zahl zwischen %(min)d und %(max)d ein.",
                    min=self.minimum,
                    max=self.maximum,
                )
            )
        return value

    def to_json(self, value: int) -> int:
        return value

    def from_json(self, stored: Any) -> int:
        if isinstance(stored, bool) or not isinstance(stored, int):
            raise SettingError("not a whole number")
        return self.parse(str(stored))

    def field_text(self, value: int) -> str:
        return str(value)

    def display(self, value: int) -> str:
        return str(value)


@dataclass(frozen=True)
class IntListKind:
    """Several whole numbers, typed as ``14, 3``: each between ``minimum`` and ``maximum``,
    each once, in the given order (``descending`` or ascending); at most ``most`` of them."""

    minimum: int
    maximum: int
    descending: bool
    most: int = 5
    input_type: str = "text"

    def parse(self, raw: Raw) -> tuple[int, ...]:
        text = _required(raw)
        parts = [part for part in re.split(r"[,;\s]+", text) if part]
        if not all(re.fullmatch(r"\d{1,9}", part) for part in parts):
            raise SettingError(
                _(
                    "Bitte geben Sie ganze Zahlen ein, durch Kommas getrennt (z. B. "
                    "„%(example)s“).",
                    example=self._example(),
                )
            )
        values = tuple(int(part) for part in parts)
        if len(values) > self.most:
            raise SettingError(_("Bitte geben Sie höchstens %(num)d Werte an.", num=self.most))
        if not all(self.minimum <= value <= self.maximum for value in values):
            raise SettingError(
                _(
                    "Jeder Wert muss zwischen %(min)d und %(max)d liegen.",
                    min=self.minimum,
                    max=self.maximum,
                )
            )
        if len(set(values)) != len(values):
            raise SettingError(_("Jeder Wert darf nur einmal vorkommen."))
        if list(values) != sorted(values, reverse=self.descending):
            raise SettingError(
                _(
                    "Bitte geben Sie die Werte absteigend an (z. B. „%(example)s“).",
                    example=self._example(),
                )
                if self.descending
                else _(
                    "Bitte geben Sie die Werte aufsteigend an (z. B. „%(example)s“).",
                    example=self._example(),
                )
            )
        return values

    def _example(self) -> str:
        return "14, 3" if self.descending else "3, 6"

    def to_json(self, value: Sequence[int]) -> list[int]:
        return list(value)

    def from_json(self, stored: Any) -> tuple[int, ...]:
        if not isinstance(stored, list) or not all(
            isinstance(item, int) and not isinstance(item, bool) for item in stored
        ):
            raise SettingError("not a list of whole numbers")
        return self.parse(", ".join(str(item) for item in stored))

    def field_text(self, value: Sequence[int]) -> str:
        return ", ".join(str(item) for item in value)

    def display(self, value: Sequence[int]) -> str:
        return self.field_text(value)


# "10 per 0 minutes" would be read as "10 per minute" by the limits library: refused here.
_ZERO_PERIOD = re.compile(r"(?:/|\bper\b)\s*0+\s*[a-z]", re.IGNORECASE)


@dataclass(frozen=True)
class RateLimitKind:
    """A rate limit as Flask-Limiter reads it: ``30 per 10 minutes`` or ``10/hour``; several
    separated by ``;``."""

    input_type: str = "text"

    def parse(self, raw: Raw) -> str:
        text = _required(raw)
        message = _(
            "Bitte geben Sie eine Grenze wie „30 per 10 minutes“ oder „10/hour“ an "
            "(Anzahl pro Zeitraum: second, minute, hour, day, month, year)."
        )
        if len(text) > 100 or _ZERO_PERIOD.search(text):
            raise SettingError(message)
        try:
            parsed = limits.parse_many(text)
        except ValueError as exc:
            raise SettingError(message) from exc
        if not parsed or any(item.amount < 1 or item.multiples < 1 for item in parsed):
            raise SettingError(
                _(
                    "Die Anzahl erlaubter Versuche muss mindestens 1 sein, sonst ist niemand "
                    "mehr zugelassen."
                )
            )
        return text

    def to_json(self, value: str) -> str:
        return value

    def from_json(self, stored: Any) -> str:
        if not isinstance(stored, str):
            raise SettingError("not text")
        return self.parse(stored)

    def field_text(self, value: str) -> str:
        return value

    def display(self, value: str) -> str:
        return value


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_ADDRESS = re.compile(r"[^@\s<>\"(),;:\[\]\\]+@" + _LABEL + r"(?:\." + _LABEL + r")+")


@dataclass(frozen=True)
class SenderKind:
    """The sender of caseflow's mail: ``Name <address>`` or just an address."""

    input_type: str = "text"

    def parse(self, raw: Raw) -> str:
        text = _required(raw)
        message = _(
            "Bitte geben Sie eine Absenderadresse wie „DiFair – BQN Berlin "
            "<difair@bqn-berlin.de>“ oder „difair@bqn-berlin.de“ an."
        )
        if len(text) > 200 or any(char in text for char in "\r\n\t"):
            raise SettingError(message)
        name, address = parseaddr(text)
        if not _ADDRESS.fullmatch(address or ""):
            raise SettingError(message)
        if text != address:
            match = re.fullmatch(r"(.*?)\s*<([^<>]+)>", text)
            if not match or match[2] != address or not match[1].strip() or "<" in match[1]:
                raise SettingError(message)
        return text

    def to_json(self, value: str) -> str:
        return value

    def from_json(self, stored: Any) -> str:
        if not isinstance(stored, str):
            raise SettingError("not text")
        return self.parse(stored)

    def field_text(self, value: str) -> str:
        return value

    def display(self, value: str) -> str:
        return value


ROLE_CHOICES = (
    ("consultant", _l("Prozessbegleiter*in")),
    ("lead", _l("Projektleitung")),
    ("admin", _l("Administration")),
)


@dataclass(frozen=True)
class RolesKind:
    """Some of the staff roles (``consultant``, ``lead``, ``admin``; none is allowed), typed
    as a list (checkboxes) or as ``lead,admin``; kept in the order of ``ROLE_CHOICES``."""

    input_type: str = "checkboxes"

    @property
    def choices(self) -> tuple[tuple[str, Any], ...]:
        return ROLE_CHOICES

    def parse(self, raw: Raw) -> tuple[str, ...]:
        parts = re.split(r"[,;\s]+", raw.strip()) if isinstance(raw, str) else list(raw)
        names = {str(part).strip() for part in parts if str(part).strip()}
        known = [code for code, _label in ROLE_CHOICES]
        if names - set(known):
            raise SettingError(
                _(
                    "Bitte wählen Sie nur unter den angebotenen Rollen: %(roles)s.",
                    roles=", ".join(str(label) for _code, label in ROLE_CHOICES),
                )
            )
        return tuple(code for code in known if code in names)

    def to_json(self, value: Sequence[str]) -> list[str]:
        return list(value)

    def from_json(self, stored: Any) -> tuple[str, ...]:
        if not isinstance(stored, list) or not all(isinstance(item, str) for item in stored):
            raise SettingError("not a list of roles")
        return self.parse(stored)

    def field_text(self, value: Sequence[str]) -> list[str]:  # type: ignore[override]
        return list(value)

    def display(self, value: Sequence[str]) -> str:
        labels = dict(ROLE_CHOICES)
        return ", ".join(str(labels[code]) for code in value) if value else _("keine")


Kind = DateKind | IntKind | IntListKind | RateLimitKind | SenderKind | RolesKind


# -- the settings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    id: str
    label: Any  # a lazy German string


GROUPS = (
    Group("programme", _l("Förderzeitraum")),
    Group("duration", _l("Laufzeit")),
    Group("reminders", _l("Erinnerungen")),
    Group("capacity", _l("Kapazität")),
    Group("retention", _l("Aufbewahrung")),
    Group("login", _l("Anmeldung & Ratenbegrenzung")),
    Group("mail", _l("E-Mail")),
)


@dataclass(frozen=True)
class Setting:
    """One editable setting; ``key`` is its configuration key and the name of the environment
    variable that overrides it. ``default`` is used only where the configuration has no such
    key (the configuration's defaults live in ``caseflow.config``)."""

    key: str
    group: str
    label: Any
    help: Any
    kind: Kind
    default: Any = None
    field_name: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "field_name", self.key.lower())


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "PROGRAMME_START",
        "programme",
        _l("Beginn des Förderzeitraums"),
        _l("Keine Prozessbegleitung beginnt vor diesem Tag."),
        DateKind(),
    ),
    Setting(
        "PROGRAMME_END",
        "programme",
        _l("Ende des Förderzeitraums"),
        _l(
            "Jede Prozessbegleitung endet spätestens an diesem Tag; die Zeitleiste und die "
            "Auswertungen reichen bis hierher."
        ),
        DateKind(),
    ),
    Setting(
        "MIN_DURATION_MONTHS",
        "duration",
        _l("Mindestlaufzeit (Monate)"),
        _l("Die kürzeste erlaubte Prozessbegleitung, 1 bis 36 Monate."),
        IntKind(1, 36),
        default=6,
    ),
    Setting(
        "MAX_DURATION_MONTHS",
        "duration",
        _l("Höchstlaufzeit (Monate)"),
        _l("Die längste erlaubte Prozessbegleitung (auch mit Verlängerung), höchstens 36 Monate."),
        IntKind(1, 36),
        default=18,
    ),
    Setting(
        "MILESTONE_REMINDER_DAYS",
        "reminders",
        _l("Erinnerung an Meilensteine (Tage vorher)"),
        _l("Tage vor der Fälligkeit, an denen erinnert wird, absteigend, z. B. „14, 3“."),
        IntListKind(1, 365, descending=True),
    ),
    Setting(
        "ENDING_WITHIN_DAYS",
        "reminders",
        _l("Hinweis auf das Ende einer Prozessbegleitung (Tage vorher)"),
        _l(
            "Die verantwortliche Prozessbegleitung wird so viele Tage vor dem geplanten Ende "
            "benachrichtigt."
        ),
        IntKind(1, 365),
    ),
    Setting(
        "DECISION_WORKING_DAYS",
        "reminders",
        _l("Bewerbungen ohne Entscheidung (Arbeitstage)"),
        _l("Nach so vielen Arbeitstagen ohne Entscheidung wird die Projektleitung erinnert."),
        IntKind(1, 100),
    ),
    Setting(
        "SUSTAINABILITY_MONTHS",
        "reminders",
        _l("Nachhaltigkeitschecks (Monate nach dem Abschluss)"),
        _l("Wiedervorlagen nach dem Abschluss, aufsteigend, z. B. „3, 6“."),
        IntListKind(1, 36, descending=False),
    ),
    Setting(
        "CAPACITY_LIMIT",
        "capacity",
        _l("Kapazitätsgrenze (Prozessbegleitungen je Person)"),
        _l(
            "Monate mit mehr laufenden und geplanten Prozessbegleitungen werden in der "
            "Auslastung markiert."
        ),
        IntKind(1, 50),
    ),
    Setting(
        "RETENTION_MONTHS",
        "retention",
        _l("Abgelehnte und zurückgezogene Bewerbungen (Monate)"),
        _l("Danach werden ihre personenbezogenen Daten anonymisiert."),
        IntKind(1, 120),
    ),
    Setting(
        "CONTACT_RETENTION_YEARS",
        "retention",
        _l("Ansprechpersonen abgeschlossener Prozessbegleitungen (Jahre nach Förderende)"),
        _l("So viele Jahre nach dem Ende des Förderzeitraums werden sie anonymisiert."),
        IntKind(1, 30),
    ),
    Setting(
        "SESSION_IDLE_MINUTES",
        "login",
        _l("Abmeldung nach Inaktivität (Minuten)"),
        _l("Eine Sitzung endet nach so vielen Minuten ohne Aktivität (5 bis 1.440)."),
        IntKind(5, 1440),
    ),
    Setting(
        "SESSION_ABSOLUTE_HOURS",
        "login",
        _l("Längste Sitzungsdauer (Stunden)"),
        _l("Eine Sitzung endet spätestens so viele Stunden nach der Anmeldung (1 bis 168)."),
        IntKind(1, 168),
    ),
    Setting(
        "TWO_FACTOR_ROLES",
        "login",
        _l("Zwei-Faktor-Anmeldung verpflichtend für"),
        _l(
            "Diese Rollen müssen bei der Anmeldung einen Code aus einer Authenticator-App eingeben."
        ),
        RolesKind(),
    ),
    Setting(
        "LOGIN_RATE_LIMIT_IP",
        "login",
        _l("Anmeldeversuche je Adresse"),
        _l("Zum Beispiel „30 per 10 minutes“."),
        RateLimitKind(),
    ),
    Setting(
        "LOGIN_RATE_LIMIT_ACCOUNT",
        "login",
        _l("Anmeldeversuche je Konto"),
        _l("Zum Beispiel „10 per 15 minutes“."),
        RateLimitKind(),
    ),
    Setting(
        "PASSWORD_RESET_RATE_LIMIT_IP",
        "login",
        _l("Anfragen für Passwort-Links je Adresse"),
        _l("Zum Beispiel „10 per hour“."),
        RateLimitKind(),
    ),
    Setting(
        "PASSWORD_RESET_RATE_LIMIT_ACCOUNT",
        "login",
        _l("Anfragen für Passwort-Links je Konto"),
        _l("Zum Beispiel „3 per hour“."),
        RateLimitKind(),
    ),
    Setting(
        "APPLY_RATE_LIMIT",
        "login",
        _l("Bewerbungen über das öffentliche Formular je Adresse"),
        _l("Es zählen nur gespeicherte Bewerbungen, zum Beispiel „20 per hour“."),
        RateLimitKind(),
    ),
    Setting(
        "MAIL_DEFAULT_SENDER",
        "mail",
        _l("Absender der E-Mails"),
        _l("„Name <adresse@beispiel.de>“ oder nur die Adresse."),
        SenderKind(),
    ),
)

BY_KEY: dict[str, Setting] = {setting.key: setting for setting in SETTINGS}


def get(key: str) -> Setting:
    """The setting ``key``; ``KeyError`` for a key that is not editable."""
    return BY_KEY[key]


# -- checks across settings --------------------------------------------------------------------


@dataclass(frozen=True)
class Conflict:
    """Values that do not fit together: ``keys`` are the settings involved, the message is
    shown at the first of them that was changed."""

    keys: tuple[str, ...]
    message: str


def _programme(values: Mapping[str, Any]) -> Conflict | None:
    start, end = values["PROGRAMME_START"], values["PROGRAMME_END"]
    if end <= start:
        return Conflict(
            ("PROGRAMME_END", "PROGRAMME_START"),
            _(
                "Das Ende des Förderzeitraums muss nach seinem Beginn (%(start)s) liegen.",
                start=format_day(start),
            ),
        )
    months = values["MIN_DURATION_MONTHS"]
    if start + relativedelta(months=months) - relativedelta(days=1) > end:
        return Conflict(
            ("PROGRAMME_END", "PROGRAMME_START", "MIN_DURATION_MONTHS"),
            _(
                "Der Förderzeitraum (%(start)s – %(end)s) ist kürzer als die Mindestlaufzeit "
                "von %(months)d Monaten; dann passt keine Prozessbegleitung hinein.",
                start=format_day(start),
                end=format_day(end),
                months=months,
            ),
        )
    return None


def _durations(values: Mapping[str, Any]) -> Conflict | None:
    shortest, longest = values["MIN_DURATION_MONTHS"], values["MAX_DURATION_MONTHS"]
    if shortest > longest:
        return Conflict(
            ("MIN_DURATION_MONTHS", "MAX_DURATION_MONTHS"),
            _(
                "Die Mindestlaufzeit (%(min)d Monate) darf nicht länger sein als die "
                "Höchstlaufzeit (%(max)d Monate).",
                min=shortest,
                max=longest,
            ),
        )
    return None


def _sessions(values: Mapping[str, Any]) -> Conflict | None:
    idle, hours = values["SESSION_IDLE_MINUTES"], values["SESSION_ABSOLUTE_HOURS"]
    if idle > hours * 60:
        return Conflict(
            ("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS"),
            _(
                "Die Abmeldung nach Inaktivität (%(idle)d Minuten) darf nicht später kommen "
                "als das Ende der längsten Sitzungsdauer (%(hours)d Stunden).",
                idle=idle,
                hours=hours,
            ),
        )
    return None


CROSS_CHECKS: tuple[Callable[[Mapping[str, Any]], Conflict | None], ...] = (
    _programme,
    _durations,
    _sessions,
)


def conflicts(values: Mapping[str, Any]) -> list[Conflict]:
    """What does not fit together in ``values`` (every setting's value, by key)."""
    return [conflict for check in CROSS_CHECKS if (conflict := check(values)) is not None]
