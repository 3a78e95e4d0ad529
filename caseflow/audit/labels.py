"""Readable names for the actions in the audit trail (the rows keep the stable keys)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "demo.loaded": _l("Demodaten geladen"),
    "engagement.planned": _l("Prozessbegleitung geplant"),
    "staff.import_updated": _l("Aus der Kontaktliste aktualisiert"),
    "staff.imported": _l("Aus der Kontaktliste angelegt"),
    "staff.locale_set": _l("Sprache gewählt"),
    "staff.login": _l("Angemeldet"),
    "staff.login_created": _l("Login angelegt"),
    "staff.password_set": _l("Passwort gesetzt"),
}


def action_label(action: str) -> str:
    """The readable name of ``action``, or the key itself for an action without one."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
