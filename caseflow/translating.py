"""Flask-Babel, with the translations of the current locale found once per request.

Flask-Babel 4 finds the translations anew for every ``gettext``: it looks up its per-request
state on ``g`` several times and turns the locale into its identifier to key its cache, about
10 µs a call. A list page translates a few hundred strings (column labels, statuses, the
districts of its rows), so that was a good part of its time (``bench/run.py --profile``).

``babel`` here gives the app a ``KeptDomain``: the translations it finds are kept in
Flask-Babel's per-request state next to the locale they belong to, and used again while that
locale is the same object. ``force_locale`` and ``refresh`` replace the locale, so a mail in
German for an English-speaking visitor still gets German, and a language just chosen is used
at once. Templates' ``_()`` and this module's ``gettext``, ``ngettext`` and ``lazy_gettext``
(which caseflow imports instead of Flask-Babel's) read the kept translations directly.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

import flask_babel
from babel.core import Locale
from babel.support import NullTranslations
from flask import Flask
from flask.globals import _cv_app
from flask_babel import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup

# Where Flask-Babel 4 keeps its per-request state on ``g``, and the locale in it.
_STATE = "_flask_babel"
_LOCALE = "babel_locale"
_KEPT = "caseflow_translations"


def _state() -> Any | None:
    """Flask-Babel's per-request state, or None outside an app context or before the first
    lookup of the request. Read from Flask's context variable, not through ``g``: the proxy
    took most of the time of a lookup."""
    context = _cv_app.get(None)
    return None if context is None else context.g.__dict__.get(_STATE)


def _kept(state: Any | None) -> NullTranslations | None:
    """The translations kept in ``state`` if they belong to its locale."""
    if state is None:
        return None
    kept = state.__dict__.get(_KEPT)
    if kept is not None and kept[0] is state.__dict__.get(_LOCALE):
        return kept[1]
    return None


def translations() -> NullTranslations:
    """The translations of the current locale (none outside an app context)."""
    kept = _kept(_state())
    # Else through Flask-Babel's domain, a KeptDomain, which keeps what it finds.
    return kept if kept is not None else flask_babel.get_translations()


class KeptDomain(flask_babel.Domain):
    """The "messages" domain, keeping the request's translations (see the module)."""

    def get_translations(self) -> NullTranslations:
        kept = _kept(_state())
        if kept is not None:
            return kept
        found = super().get_translations()
        state = _state()
        if state is not None and state.__dict__.get(_LOCALE) is not None:
            state.__dict__[_KEPT] = (state.__dict__[_LOCALE], found)
        return found


class Babel(flask_babel.Babel):
    """Flask-Babel's extension with a ``KeptDomain`` and templates reading its translations."""

    @cached_property
    def domain_instance(self) -> KeptDomain:
        return KeptDomain(domain=self.domain)

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
            gettext=lambda s: translations().ugettext(s),
            ngettext=lambda s, p, n: translations().ungettext(s, p, n),
            pgettext=lambda c, s: translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
            newstyle=True,
        )
        # ``_``, ``gettext`` and ``ngettext`` as Jinja's "newstyle" ones do them, without
        # its three calls through the template context for each string.
        app.jinja_env.globals.update(
            _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
        )


@pass_eval_context
def _template_gettext(eval_ctx: EvalContext, string: str, /, **variables: Any) -> str:
    """A template's ``_("…", name=value)``: translated, escaped where the template is, and
    always formatted (``%%`` is a percent sign, with or without variables). The catalogue's
    text is trusted markup, as in Jinja's i18n extension; the variables are escaped."""
    translated = translations().ugettext(string)
    if not variables:
        # Formatted before it is marked safe: the same text, without Markup's slower "%".
        translated %= variables
        return Markup(translated) if eval_ctx.autoescape else translated  # noqa: S704
    return _formatted(eval_ctx, translated, variables)


def _formatted(eval_ctx: EvalContext, translated: str, variables: dict[str, Any]) -> str:
    """``translated % variables``, safe markup where the template escapes: the variables are
    escaped by Markup's ``%``, unless all are numbers, which hold nothing to escape (and
    Markup's ``%`` wraps each value, the slower part of a list row's "3 von 12 erledigt")."""
    if not eval_ctx.autoescape:
        return translated % variables
    if all(type(value) is int for value in variables.values()):
        return Markup(translated % variables)  # noqa: S704 - whole numbers only
    return Markup(translated) % variables  # noqa: S704 - variables are escaped by its "%"


@pass_eval_context
def _template_ngettext(
    eval_ctx: EvalContext, singular: str, plural: str, num: int, /, **variables: Any
) -> str:
    """A template's ``ngettext("…", "…", n, name=value)``; ``%(num)s`` is ``n``."""
    variables.setdefault("num", num)
    translated = translations().ungettext(singular, plural, num)
    return _formatted(eval_ctx, translated, variables)


def gettext(string: str, **variables: Any) -> str:
    """``flask_babel.gettext``: ``string`` translated, then formatted with ``variables``."""
    translated = translations().ugettext(string)
    return translated % variables if variables else translated


def ngettext(singular: str, plural: str, num: int, **variables: Any) -> str:
    """``flask_babel.ngettext``: the form for ``num`` (also given as ``%(num)s``)."""
    variables.setdefault("num", num)
    return translations().ungettext(singular, plural, num) % variables


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """``flask_babel.lazy_gettext``: translated when turned into text."""
    return LazyString(gettext, string, **variables)


def current_locale() -> Locale | None:
    """``flask_babel.get_locale()``, but without its lookups once the request has a locale."""
    state = _state()
    locale = state.__dict__.get(_LOCALE) if state is not None else None
    return locale if locale is not None else flask_babel.get_locale()
