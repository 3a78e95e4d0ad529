"""Reading and changing the settings (issue 7 point 2).

The value of a setting comes from the first of:

1. a deployment override: an environment variable of the same name, or the setting in the
   instance folder's ``config.py`` (found when the app starts, ``overrides``); it cannot be
   changed in the browser;
2. the row an admin saved (``AppSetting``);
3. the configuration (``caseflow.config`` defaults, or what a test passes to ``create_app``),
   or the setting's own default where the configuration has no such key.

During a request all rows are read with one statement, the first time any setting is asked
for, and kept for the rest of the request (``flask.g``); outside requests (scheduler sweeps,
CLI) every call reads with the session it is given.
"""

from __future__ import annotations

import enum
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Config, Flask, current_app, g, has_request_context
from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from caseflow.audit.services import Actor, record
from caseflow.config import _ENV_PARSERS as ENV_PARSERS
from caseflow.config import ConfigError
from caseflow.extensions import db
from caseflow.settings.models import AppSetting
from caseflow.settings.rules import (
    SETTINGS,
    Raw,
    Setting,
    SettingError,
    conflicts,
    get,
)
from caseflow.translating import gettext as _

log = logging.getLogger(__name__)

EXTENSION_KEY = "caseflow.settings"
_CACHE = "_caseflow_settings"
INSTANCE_FILE = "config.py"


class Source(enum.StrEnum):
    """Where the value of a setting comes from."""

    DEFAULT = "default"
    STORED = "stored"
    ENVIRONMENT = "environment"
    INSTANCE = "instance"


@dataclass(frozen=True)
class Override:
    """A setting fixed by the deployment: ``variable`` is the environment variable's name, or
    the instance file's name."""

    source: Source
    variable: str


@dataclass(frozen=True)
class Effective:
    """A setting's value and where it comes from (``updated_at``/``updated_by_id`` for a
    stored one)."""

    setting: Setting
    value: Any
    source: Source
    variable: str | None = None
    updated_at: datetime | None = None
    updated_by_id: int | None = None

    @property
    def is_locked(self) -> bool:
        return self.source in (Source.ENVIRONMENT, Source.INSTANCE)

    @property
    def display(self) -> str:
        return self.setting.kind.display(self.value)


@dataclass(frozen=True)
class Change:
    """One setting an admin changed (``new`` after a reset is the configured default)."""

    setting: Setting
    old: Any
    new: Any
    is_reset: bool = False

    @property
    def old_display(self) -> str:
        return self.setting.kind.display(self.old)

    @property
    def new_display(self) -> str:
        return self.setting.kind.display(self.new)


class SettingsRefused(Exception):
    """Values that were not saved; ``errors`` maps setting keys to German messages. Nothing
    of the same call was saved."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        super().__init__("; ".join(f"{key}: {message}" for key, message in errors.items()))
        self.errors = dict(errors)


# -- deployment overrides ----------------------------------------------------------------------


def detect_overrides(app: Flask, environ: Mapping[str, str]) -> dict[str, Override]:
    """The settings the deployment fixes: set in ``environ`` (which wins) or in the instance
    folder's ``config.py``. An environment value is checked like a typed one (``ConfigError``
    naming the variable when it does not fit); where ``caseflow.config`` does not read that
    variable itself, its value is put into ``app.config``."""
    instance = Config(app.instance_path)
    try:
        instance.from_pyfile(INSTANCE_FILE, silent=True)
    except Exception:  # noqa: BLE001  (load_config has read the same file already)
        log.warning("settings: the instance file could not be read again")
    found: dict[str, Override] = {}
    with app.app_context():
        for setting in SETTINGS:
            raw = environ.get(setting.key)
            if raw is not None and raw.strip():
                try:
                    value = setting.kind.parse(raw)
                except SettingError as exc:
                    raise ConfigError(f"{setting.key}={raw!r} is not valid: {exc}") from exc
                found[setting.key] = Override(Source.ENVIRONMENT, setting.key)
                if setting.key not in ENV_PARSERS:
                    # caseflow.config reads the others itself (and a test's mapping beats them)
                    app.config[setting.key] = value
            elif setting.key in instance:
                found[setting.key] = Override(Source.INSTANCE, INSTANCE_FILE)
    return found


def overrides(app: Flask | None = None) -> Mapping[str, Override]:
    """The settings the deployment fixes (found at start by ``caseflow.settings.init_app``;
    found now from the process environment if the app was built without it)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = app.extensions[EXTENSION_KEY] = detect_overrides(app, os.environ)
    return found


def locked_message(setting: Setting, override: Override) -> str:
    if override.source is Source.ENVIRONMENT:
        return _(
            "„%(label)s“ ist durch die Umgebungsvariable %(variable)s festgelegt und kann hier "
            "nicht geändert werden.",
            label=setting.label,
            variable=override.variable,
        )
    return _(
        "„%(label)s“ ist in der Datei %(variable)s im Instanzordner festgelegt und kann hier "
        "nicht geändert werden.",
        label=setting.label,
        variable=override.variable,
    )


# -- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    value: Any
    updated_at: datetime | None
    updated_by_id: int | None


# Built once: every request reads the rows.
_ROWS = select(AppSetting.key, AppSetting.value, AppSetting.updated_at, AppSetting.updated_by_id)


def _read_rows(session: Session) -> dict[str, _Row]:
    return {key: _Row(value, at, by) for key, value, at, by in session.execute(_ROWS)}


def _is_request_session(session: Session | None) -> bool:
    return session is None or session is db.session or session is db.session()


def _rows(session: Session | None) -> dict[str, _Row]:
    """The stored rows: read once per request (``g``), or now with ``session``."""
    if has_request_context() and _is_request_session(session):
        rows = g.get(_CACHE)
        if rows is None:
            rows = _read_rows(db.session)
            setattr(g, _CACHE, rows)
        return rows
    return _read_rows(session if session is not None else db.session)


def forget_cached() -> None:
    """Drop the request's copy of the stored rows (after a change)."""
    if has_request_context():
        g.pop(_CACHE, None)


def configured(setting: Setting) -> Any:
    """The setting's value from the configuration (or its own default)."""
    value = current_app.config.get(setting.key)
    return setting.default if value is None else value


def _effective(setting: Setting, locked: Mapping[str, Override], rows: Mapping[str, _Row]):
    override = locked.get(setting.key)
    if override is not None:
        return Effective(setting, configured(setting), override.source, override.variable)
    row = rows.get(setting.key)
    if row is not None:
        try:
            value = setting.kind.from_json(row.value)
        except (SettingError, TypeError, ValueError):
            log.warning(
                "settings: the stored value of %s is unusable; using the default", setting.key
            )
        else:
            return Effective(setting, value, Source.STORED, None, row.updated_at, row.updated_by_id)
    return Effective(setting, configured(setting), Source.DEFAULT)


def effective(key: str, session: Session | None = None) -> Effective:
    """The value of setting ``key`` and where it comes from (``KeyError`` for a key that is
    not a setting). Reads no row when the deployment fixes it."""
    setting = get(key)
    locked = overrides()
    rows = {} if key in locked else _rows(session)
    return _effective(setting, locked, rows)


def current(key: str, session: Session | None = None) -> Any:
    """The value of setting ``key`` (``PROGRAMME_END``, ``CAPACITY_LIMIT``, …) to act on.

    In a request, ``session`` may be left out (the request's session; one statement per
    request whatever is asked); outside requests pass the session of the job."""
    return effective(key, session).value


def values(*keys: str, session: Session | None = None) -> tuple[Any, ...]:
    """The values of several settings at once, in the order asked (one statement at most)."""
    settings = [get(key) for key in keys]
    locked = overrides()
    rows = {} if all(key in locked for key in keys) else _rows(session)
    return tuple(_effective(setting, locked, rows).value for setting in settings)


def effective_all(session: Session | None = None, *, fresh: bool = False) -> list[Effective]:
    """Every setting in the order of ``rules.SETTINGS``; ``fresh`` reads the rows again
    instead of using the request's copy."""
    locked = overrides()
    if fresh:
        forget_cached()
    rows = _rows(session)
    return [_effective(setting, locked, rows) for setting in SETTINGS]


# -- changing ----------------------------------------------------------------------------------


def _same(setting: Setting, one: Any, other: Any) -> bool:
    return setting.kind.to_json(one) == setting.kind.to_json(other)


def _place_conflicts(values_: Mapping[str, Any], changed: set[str], errors: dict[str, str]) -> None:
    """Add to ``errors`` every conflict among ``values_`` that a change in ``changed`` caused,
    at the first changed setting involved (conflicts of unchanged values are not new)."""
    for conflict in conflicts(values_):
        involved = [key for key in conflict.keys if key in changed]
        if not involved or any(key in errors for key in conflict.keys):
            continue
        errors[involved[0]] = conflict.message


def _store(
    session: Session, setting: Setting, value: Any, *, now: datetime, actor: Actor | None
) -> None:
    """Insert or update the row of ``setting`` in one statement, so two admins saving at once
    leave one row (the later value) instead of a failed insert."""
    row = {
        "key": setting.key,
        "value": setting.kind.to_json(value),
        "updated_at": now,
        "updated_by_id": actor.id if actor is not None else None,
    }
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        statement = insert(AppSetting).values(**row)
        statement = statement.on_conflict_do_update(
            index_elements=[AppSetting.key],
            set_={name: statement.excluded[name] for name in row if name != "key"},
        )
        session.execute(statement)
    else:  # pragma: no cover  (caseflow runs on SQLite and PostgreSQL)
        session.merge(AppSetting(**row))
    _expire_loaded(session)


def _expire_loaded(session: Session) -> None:
    for obj in list(session.identity_map.values()):
        if isinstance(obj, AppSetting):
            session.expire(obj)


def _audit(session: Session, change: Change, *, now: datetime, actor: Actor | None) -> None:
    kind = change.setting.kind
    record(
        session,
        actor=actor,
        action="setting.changed",
        object_type="setting",
        object_id=None,
        changes={change.setting.key: [kind.to_json(change.old), kind.to_json(change.new)]},
        at=now,
    )


def change_many(
    session: Session, submitted: Mapping[str, Raw], *, actor: Actor | None, now: datetime
) -> list[Change]:
    """Check and save several settings at once: ``submitted`` maps setting keys to what was
    typed (text, or a list of choices).

    Before: every key is a setting (``KeyError`` otherwise). After: each value that differs
    from the one in effect is stored (one row per setting) with an audit event
    ``setting.changed`` holding the old and the new value; the request's copy is dropped.
    Raises ``SettingsRefused`` with a German message per setting — and saves nothing — when
    any value does not fit its type, a deployment fixes it, or it does not fit with the
    other settings (the programme window, the durations, the session timeouts). Only
    flushes.
    """
    locked = overrides()
    in_effect = {item.setting.key: item for item in effective_all(session, fresh=True)}
    errors: dict[str, str] = {}
    parsed: dict[str, Any] = {}
    for key, raw in submitted.items():
        setting = get(key)
        override = locked.get(key)
        if override is not None:
            errors[key] = locked_message(setting, override)
            continue
        try:
            parsed[key] = setting.kind.parse(raw)
        except SettingError as error:
            errors[key] = str(error)
    changed = {
        key for key, value in parsed.items() if not _same(get(key), value, in_effect[key].value)
    }
    proposed = {key: item.value for key, item in in_effect.items()} | parsed
    _place_conflicts(proposed, changed, errors)
    if errors:
        raise SettingsRefused(errors)
    changes = []
    for key in (setting.key for setting in SETTINGS if setting.key in changed):
        change = Change(get(key), in_effect[key].value, parsed[key])
        _store(session, change.setting, change.new, now=now, actor=actor)
        _audit(session, change, now=now, actor=actor)
        changes.append(change)
    session.flush()
    forget_cached()
    return changes


def change(
    session: Session, key: str, raw: Raw, *, actor: Actor | None, now: datetime
) -> Change | None:
    """Check and save one setting (``change_many`` with one value); None when the value is
    the one in effect already. Raises ``SettingsRefused`` as ``change_many`` does."""
    changes = change_many(session, {key: raw}, actor=actor, now=now)
    return changes[0] if changes else None


def reset(session: Session, key: str, *, actor: Actor | None, now: datetime) -> Change | None:
    """Delete the stored value of ``key``, so that the configured default applies again.

    Returns None when nothing was stored. Raises ``SettingsRefused`` when a deployment fixes
    the setting or the default does not fit with the other settings (for example a default
    minimum duration above a stored maximum). Writes the audit event ``setting.changed``;
    only flushes.
    """
    setting = get(key)
    override = overrides().get(key)
    if override is not None:
        raise SettingsRefused({key: locked_message(setting, override)})
    in_effect = {item.setting.key: item for item in effective_all(session, fresh=True)}
    if in_effect[key].source is not Source.STORED:
        return None
    default = configured(setting)
    errors: dict[str, str] = {}
    proposed = {name: item.value for name, item in in_effect.items()} | {key: default}
    _place_conflicts(proposed, {key}, errors)
    if errors:
        raise SettingsRefused(errors)
    session.execute(delete(AppSetting).where(AppSetting.key == key))
    _expire_loaded(session)
    change_ = Change(setting, in_effect[key].value, default, is_reset=True)
    _audit(session, change_, now=now, actor=actor)
    session.flush()
    forget_cached()
    return change_
