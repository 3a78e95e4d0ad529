"""Readable names for the actions in the audit trail (the rows keep the stable keys)."""

from __future__ import annotations

from caseflow.translating import lazy_gettext as _l

ACTION_LABELS = {
    "activity.created": _l("Aktivität erfasst"),
    "activity.deleted": _l("Aktivität gelöscht"),
    "activity.updated": _l("Aktivität geändert"),
    "application.accepted": _l("Bewerbung angenommen"),
    "application.anonymised": _l("Bewerbungen nach Ablauf der Aufbewahrungsfrist anonymisiert"),
    "application.declined": _l("Bewerbung abgelehnt"),
    "application.mail_failed": _l("E-Mail an die Ansprechperson fehlgeschlagen"),
    "application.mail_sent": _l("E-Mail an die Ansprechperson gesendet"),
    "application.mail_skipped": _l(
        "E-Mail an die Ansprechperson nicht gesendet (Verarbeitung eingeschränkt oder anonymisiert)"
    ),
    "application.review_saved": _l("Bewertung gespeichert"),
    "application.status_changed": _l("Status geändert"),
    "application.status_link_renewed": _l("Status-Link neu ausgestellt"),
    "application.submitted": _l("Bewerbung eingegangen"),
    "application.talk_rescheduled": _l("Termin des Vorgesprächs geändert"),
    "application.waitlisted": _l("Auf die Warteliste gesetzt"),
    "application.withdrawn": _l("Bewerbung zurückgezogen"),
    "audit.exported": _l("Protokoll exportiert"),
    "barrier.created": _l("Zugangsbarriere erfasst"),
    "barrier.updated": _l("Zugangsbarriere geändert"),
    "calendar.token_created": _l("Kalender-Abo eingerichtet"),
    "calendar.token_renewed": _l("Neue Kalender-Adresse erzeugt"),
    "calendar.token_revoked": _l("Kalender-Abo widerrufen"),
    "demo.loaded": _l("Demodaten geladen"),
    "engagement.extended": _l("Prozessbegleitung verlängert"),
    "engagement.milestone_added": _l("Meilenstein hinzugefügt"),
    "engagement.milestone_completed": _l("Meilenstein erledigt"),
    "engagement.milestone_dropped": _l("Meilenstein entfallen"),
    "engagement.milestone_edited": _l("Meilenstein geändert"),
    "engagement.milestone_reopened": _l("Meilenstein wieder geöffnet"),
    "engagement.phase_started": _l("Phase begonnen"),
    "engagement.planned": _l("Prozessbegleitung geplant"),
    "engagement.rescheduled": _l("Termine verschoben"),
    "engagement.status_changed": _l("Status der Prozessbegleitung geändert"),
    "engagement.team_changed": _l("Team geändert"),
    "follow_up.completed": _l("Wiedervorlage erledigt"),
    "follow_up.created": _l("Wiedervorlage angelegt"),
    "follow_up.discarded": _l("Wiedervorlage verworfen"),
    "follow_up.sustainability_created": _l("Nachhaltigkeitschecks automatisch angelegt"),
    "follow_up.updated": _l("Wiedervorlage geändert"),
    "notification.mail_retried": _l("E-Mail einer Benachrichtigung erneut angestoßen"),
    "organisation.contact_added": _l("Ansprechperson aus einer Bewerbung hinzugefügt"),
    "organisation.contact_created": _l("Ansprechperson angelegt"),
    "organisation.contact_updated": _l("Ansprechperson geändert"),
    "organisation.contacts_anonymised": _l(
        "Ansprechpersonen nach Ablauf der Aufbewahrungsfrist anonymisiert"
    ),
    "organisation.created": _l("Organisation angelegt"),
    "organisation.updated": _l("Organisation geändert"),
    "phase_template.created": _l("Phasenvorlage angelegt"),
    "phase_template.updated": _l("Phasenvorlage geändert"),
    "round.created": _l("Bewerbungsrunde angelegt"),
    "round.updated": _l("Bewerbungsrunde geändert"),
    "setting.changed": _l("Einstellung geändert"),
    "staff.account_created": _l("Konto angelegt"),
    "staff.deactivated": _l("Konto deaktiviert"),
    "staff.import_updated": _l("Aus der Kontaktliste aktualisiert"),
    "staff.imported": _l("Aus der Kontaktliste angelegt"),
    "staff.locale_set": _l("Sprache gewählt"),
    "staff.login": _l("Angemeldet"),
    "staff.login_created": _l("Login angelegt"),
    "staff.notification_preferences_set": _l("Einstellungen für Benachrichtigungen geändert"),
    "staff.password_link_issued": _l("Link zum Festlegen des Passworts erstellt"),
    "staff.password_link_mail_failed": _l(
        "Link zum Festlegen des Passworts konnte nicht gesendet werden"
    ),
    "staff.password_link_mailed": _l("Link zum Festlegen des Passworts gesendet"),
    "staff.password_reset": _l("Passwort über einen Link neu festgelegt"),
    "staff.password_set": _l("Passwort gesetzt"),
    "staff.reactivated": _l("Konto wieder aktiviert"),
    "staff.recovery_code_used": _l("Wiederherstellungscode verwendet"),
    "staff.recovery_codes_renewed": _l("Neue Wiederherstellungscodes erzeugt"),
    "staff.role_changed": _l("Rolle geändert"),
    "staff.sessions_ended": _l("Alle Sitzungen beendet"),
    "staff.two_factor_disabled": _l("Zwei-Faktor-Anmeldung ausgeschaltet"),
    "staff.two_factor_enabled": _l("Zwei-Faktor-Anmeldung eingerichtet"),
    "subject.erased": _l("Personenbezogene Daten auf Antrag anonymisiert"),
    "subject.exported": _l("Datenauskunft erstellt"),
    "subject.rectified": _l("Daten berichtigt"),
    "subject.restricted": _l("Verarbeitung eingeschränkt"),
    "subject.restriction_lifted": _l("Einschränkung der Verarbeitung aufgehoben"),
}


def action_label(action: str) -> str:
    """The readable name of ``action``, or the key itself for an action without one."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action
