"""The translations kept per request (caseflow.translating) give the same text as Flask-Babel
would, follow every change of the locale within a request, and format like Jinja's i18n."""

from __future__ import annotations

import flask_babel
from flask import Flask, session
from flask_babel import force_locale, refresh

from caseflow.mail import _mail_environment
from caseflow.translating import current_locale, gettext, lazy_gettext, ngettext, translations

SAVE = "Speichern"  # in the English catalogue as "Save"


def _render(app: Flask, source: str, **context: object) -> str:
    return app.jinja_env.from_string(source).render(**context)


def test_python_and_templates_follow_force_locale_and_return(app: Flask) -> None:
    with app.test_request_context("/"):
        assert gettext(SAVE) == SAVE
        assert _render(app, "{{ _('Speichern') }}") == SAVE
        with force_locale("en"):
            assert gettext(SAVE) == "Save"
            assert str(lazy_gettext(SAVE)) == "Save"
            assert _render(app, "{{ _('Speichern') }}") == "Save"
            assert str(current_locale()) == "en"
        # Back in the request's own language, though English was kept meanwhile.
        assert gettext(SAVE) == SAVE
        assert _render(app, "{{ _('Speichern') }}") == SAVE
        assert str(current_locale()) == "de"


def test_a_language_chosen_during_the_request_is_used_after_refresh(app: Flask) -> None:
    with app.test_request_context("/"):
        assert gettext(SAVE) == SAVE
        session["locale"] = "en"
        refresh()
        assert gettext(SAVE) == "Save"
        assert _render(app, "{{ _('Speichern') }}") == "Save"


def test_the_same_text_as_flask_babel(app: Flask) -> None:
    with app.test_request_context("/"):
        for locale in ("de", "en"):
            with force_locale(locale):
                assert translations() is flask_babel.get_translations()
                assert gettext(SAVE) == flask_babel.gettext(SAVE)
                assert ngettext("%(num)d Monat", "%(num)d Monate", 2) == flask_babel.ngettext(
                    "%(num)d Monat", "%(num)d Monate", 2
                )


def test_outside_an_app_context_the_source_text_is_given() -> None:
    assert gettext(SAVE) == SAVE
    assert gettext("%(n)s Tage", n=3) == "3 Tage"
    assert ngettext("%(num)d Monat", "%(num)d Monate", 1) == "1 Monat"


def test_templates_format_like_jinja_newstyle_gettext(app: Flask) -> None:
    with app.test_request_context("/"):
        # Always formatted: "%%" is one percent sign, with or without variables.
        assert _render(app, "{{ _('100%%') }}") == "100%"
        # Variables are escaped in HTML, the catalogue's text is not.
        assert (
            _render(app, "{{ _('%(name)s & Co', name=name) }}", name="<b>Müller</b>")
            == "&lt;b&gt;Müller&lt;/b&gt; & Co"
        )
        assert (
            _render(app, "{{ ngettext('%(num)d Monat', '%(num)d Monate', n) }}", n=3) == "3 Monate"
        )
        # Whole numbers need no escaping; the catalogue's markup stays markup.
        assert _render(app, "{{ _('<b>%(n)d</b> von %(m)s', n=3, m=12) }}") == "<b>3</b> von 12"
        assert _render(app, "{{ _('%(n)s', n=flag) }}", flag=True) == "True"
        # A plain-text mail template escapes nothing.
        mail = _mail_environment(app)
        assert (
            mail.from_string("{{ _('%(name)s & Co', name=name) }}").render(name="<b>Müller</b>")
            == "<b>Müller</b> & Co"
        )
