"""Readable names for the actions in the audit trail (the rows keep the stable keys)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

ACTION_LABELS = {
    "application.accepted": _l("Bewerbung angenommen"),
    "application.declined": _l("Bewerbung abgelehnt"),
    "application.mail_failed": _l("E-Mail an die Ansprechperson fehlgeschlagen"),
    "application.mail_sent": _l("E-Mail an die Ansprechperson gesendet"),
    "application.review_saved": _l("Bewertung gespeichert"),
    "application.status_changed": _l("Status geändert"),
    "application.status_link_renewed": _l("Status-Link neu ausgestellt"),
    "application.submitted": _l("Bewerbung eingegangen"),
    "application.talk_rescheduled": _l("Termin des Vorgesprächs geändert"),
    "application.waitlisted": _l("Auf die Warteliste gesetzt"),
    "application.withdrawn": _l("Bewerbung zurückgezogen"),
    "demo.loaded": _l("Demodaten geladen"),
    "engagement.planned": _l("Prozessbegleitung geplant"),
    "engagement.status_changed": _l("Status der Prozessbegleitung geändert"),
    "organisation.contact_added": _l("Ansprechperson aus einer Bewerbung hinzugefügt"),
    "organisation.created": _l("Organisation angelegt"),
    "round.created": _l("Bewerbungsrunde angelegt"),
    "round.updated": _l("Bewerbungsrunde geändert"),
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
