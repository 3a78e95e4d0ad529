"""Checks of an organisation's facts and contact addresses, shared by the organisation pages
and the public application form (intake), so that both refuse the same values with the same
German message: web addresses, sub-types that belong to their sector, mailable addresses.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from caseflow.organisations.choices import SUBTYPES, Sector
from caseflow.staff.identity import is_valid_email, normalise_email
from caseflow.translating import gettext as _
from caseflow.translating import lazy_gettext as _l

# A host name: labels of letters (also umlauts), digits and hyphens, at least one dot.
_HOST = re.compile(r"(?=.{1,253}\Z)([\w-]{1,63}\.)+[^\W\d_]{2,63}\.?", re.UNICODE)


def website_problem(value: str) -> str | None:
    """Why ``value`` is no web address (German), or None: an http(s) URL with a host name, or
    a bare host name like ``www.beispiel.de`` (which ``normalise_website`` completes)."""
    message = _(
        "Bitte geben Sie eine Web-Adresse wie www.beispiel.de oder https://www.beispiel.de an."
    )
    if any(char.isspace() for char in value):
        return message
    if "://" in value:
        try:
            parts = urlsplit(value)
            host = parts.hostname
            parts.port  # noqa: B018 - raises ValueError for a port that is no number
        except ValueError:
            return message
        if parts.scheme.lower() not in ("http", "https") or not host or not _is_host(host):
            return message
        return None
    return None if _is_host(value.split("/", 1)[0]) else message


def _is_host(host: str) -> bool:
    return _HOST.fullmatch(host) is not None


def normalise_website(value: str | None) -> str | None:
    """A checked website as a link target: a bare host name gets ``https://``."""
    if not value:
        return None
    return value if "://" in value else "https://" + value


def subtype_problem(sector: Sector, subtype: str) -> str | None:
    """Why ``subtype`` does not fit ``sector`` (German), or None."""
    if subtype in SUBTYPES[sector]:
        return None
    return _(
        "Diese Art passt nicht zum gewählten Bereich „%(sector)s“. Bitte wählen Sie eine Art "
        "aus der Gruppe dieses Bereichs.",
        sector=sector.label,
    )


INVALID_EMAIL = _l("Bitte geben Sie eine gültige E-Mail-Adresse an, zum Beispiel name@amt.de.")


def email_problem(value: str) -> str | None:
    """Why ``value`` is no usable email address (German), or None. Refused too: characters
    before the @ that need SMTPUTF8 (``jürgen@amt.de``), as few mail servers deliver to such
    addresses."""
    if "\r" in value or "\n" in value:
        return str(INVALID_EMAIL)
    # The stricter check first: most addresses pass it, and then one check is enough.
    try:
        validate_email(value, allow_smtputf8=False, check_deliverability=False)
    except EmailNotValidError:
        if not is_valid_email(value):
            return str(INVALID_EMAIL)
        return _(
            "An Adressen mit Umlauten oder anderen Sonderzeichen vor dem @ können wir "
            "leider keine E-Mails senden. Bitte geben Sie eine Adresse ohne solche Zeichen "
            "an, zum Beispiel name@amt.de."
        )
    return None


def ascii_address(value: str) -> str:
    """A checked (``email_problem`` is None) address as it can be mailed: an internationalised
    domain in its ASCII form (``info@bürgeramt.de`` → ``info@xn--brgeramt-65a.de``), which
    every mail server takes; anything else as entered."""
    if value.isascii():
        return value
    checked = validate_email(value, allow_smtputf8=False, check_deliverability=False)
    return f"{value.rpartition('@')[0]}@{checked.ascii_domain}"


def mailable_email(value: str) -> str:
    """A checked (``email_problem`` is None) address as a contact person's is stored and
    mailed: ``ascii_address``, lower-cased."""
    value = ascii_address(value)
    return normalise_email(value) or value
