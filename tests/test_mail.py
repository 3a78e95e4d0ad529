"""caseflow.mail against a real SMTP server (aiosmtpd), the outbox folder, MAIL_URL parsing
and the development page /outbox."""

from __future__ import annotations

import dataclasses
import logging
import re
import socket
import time
from collections.abc import Callable, Iterator
from datetime import date
from email.parser import BytesParser
from email.policy import default as default_policy
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from flask import Flask, session
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, DictLoader

from caseflow import create_app, mail
from caseflow.config import ConfigError
from caseflow.mail import (
    OUTBOX_NAME,
    MailError,
    MailMessage,
    OutboxBackend,
    SmtpBackend,
    backend_for,
    build_message,
    compose,
    outbox_folder,
    parse_mail_url,
    send_mail,
)
from caseflow.web.i18n import SESSION_KEY as LOCALE_KEY
from tests.conftest import config_for_tests, dispose_engines
from tests.mail_server import LocalSmtpServer, free_port

MAIL_VARIABLES = (
    "MAIL_URL",
    "MAIL_SERVER",
    "MAIL_PORT",
    "MAIL_USERNAME",
    "MAIL_PASSWORD",
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER",
    "MAIL_TIMEOUT",
    "MAIL_OUTBOX",
)

# Mail templates for these tests only (the real ones belong to the features that send them).
TEST_TEMPLATES = {
    "mail/greeting.txt": (
        '{{ _("Guten Tag") }} {{ name }},\n'
        "Ihre Bewerbung vom {{ received_on|day }} ist eingegangen: {{ note }}\n"
    ),
    "mail/greeting.html": "<p>{{ _('Guten Tag') }} {{ name }}</p><p>{{ note }}</p>",
    "mail/plain_only.txt": "Nur Text für {{ name }} & Co.\n",
}


@pytest.fixture
def make_app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Flask]]:
    """A separate app (no migrated database needed) with the given overrides and no mail
    settings from the real environment."""
    built: list[Flask] = []

    def build(**overrides) -> Flask:
        for name in MAIL_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        instance = tmp_path / f"instance-{len(built)}"
        config = config_for_tests(f"sqlite:///{tmp_path / 'unused.sqlite3'}", instance)
        app = create_app({**config, **overrides})
        app.jinja_env.loader = ChoiceLoader([DictLoader(TEST_TEMPLATES), app.jinja_env.loader])
        built.append(app)
        return app

    yield build
    for app in built:
        dispose_engines(app)


def environment_config(instance: Path) -> dict:
    """The test settings without the mail settings that keep tests off the environment's."""
    config = config_for_tests("sqlite://", instance)
    for name in ("MAIL_URL", "MAIL_SERVER", "MAIL_OUTBOX"):
        del config[name]
    return config


@pytest.fixture
def smtp() -> Iterator[LocalSmtpServer]:
    """A local SMTP server for the separately built apps of this module."""
    server = LocalSmtpServer().start()
    yield server
    server.stop()


def _plain(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


# --- SMTP delivery -----------------------------------------------------------------------------


def test_smtp_delivers_recipient_subject_and_german_text(app: Flask, smtp_server) -> None:
    with app.app_context():
        send_mail(
            MailMessage(
                to="Jörg Weiß <joerg@example.org>",
                subject="Ihre Bewerbung für die Prozessbegleitung – Größe & Maß",
                text="Sehr geehrte Frau Özdemir,\n\nvielen Dank für Ihre Bewerbung. Grüße\n",
                reply_to="team@bqn-berlin.de",
            )
        )
    [message] = smtp_server.wait_for(1)
    assert message.envelope_rcpt == ["joerg@example.org"]
    assert message.envelope_from == "difair@bqn-berlin.de"
    assert message["To"] == "Jörg Weiß <joerg@example.org>"
    assert message["Subject"] == "Ihre Bewerbung für die Prozessbegleitung – Größe & Maß"
    assert message["From"] == "DiFair – BQN Berlin <difair@bqn-berlin.de>"
    assert message["Reply-To"] == "team@bqn-berlin.de"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert (
        _plain(message) == "Sehr geehrte Frau Özdemir,\n\nvielen Dank für Ihre Bewerbung. Grüße\n"
    )
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert re.fullmatch(r"<[^<>@\s]+@bqn-berlin\.de>", message["Message-ID"])


def test_sender_timeout_and_url_are_read_on_every_call(
    app: Flask, smtp_server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "Test <absender@example.org>")
    with app.app_context():
        send_mail(MailMessage(to="a@example.org", subject="Eins", text="x"))
    [message] = smtp_server.wait_for(1)
    assert message.envelope_from == "absender@example.org"
    assert message["From"] == "Test <absender@example.org>"


def test_html_alternative_arrives_next_to_the_text(app: Flask, smtp_server) -> None:
    with app.app_context():
        send_mail(MailMessage(to="a@example.org", subject="S", text="Text ä", html="<p>HTML ä</p>"))
    [message] = smtp_server.wait_for(1)
    assert message.get_content_type() == "multipart/alternative"
    assert _plain(message) == "Text ä\n"
    assert message.get_body(preferencelist=("html",)).get_content() == "<p>HTML ä</p>\n"


@pytest.mark.parametrize(
    "field, value",
    [
        ("to", "opfer@example.org\r\nBcc: alle@example.org"),
        ("to", "opfer@example.org\nBcc: alle@example.org"),
        ("subject", "Hallo\r\nBcc: alle@example.org"),
        ("reply_to", "x@example.org\rBcc: alle@example.org"),
        ("to", "eins@example.org, zwei@example.org"),
        ("to", "kein-at-zeichen"),
        ("to", ""),
    ],
)
def test_unusable_headers_raise_and_send_nothing(app: Flask, smtp_server, field, value) -> None:
    fields = {"to": "ok@example.org", "subject": "Betreff", "text": "Text", field: value}
    with app.app_context():
        with pytest.raises(MailError):
            send_mail(MailMessage(**fields))
        # The server is alive and gets the next, valid message, and only that one.
        send_mail(MailMessage(to="danach@example.org", subject="Danach", text="x"))
    smtp_server.wait_for(1)
    time.sleep(0.1)
    assert [m.envelope_rcpt for m in smtp_server.messages] == [["danach@example.org"]]


def test_refused_connection_raises_quickly(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{free_port()}")
    started = time.monotonic()
    with app.app_context(), pytest.raises(MailError, match="127.0.0.1"):
        send_mail(MailMessage(to="a@example.org", subject="S", text="x"))
    assert time.monotonic() - started < 2


def test_silent_server_times_out_after_mail_timeout(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) but never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        port = silent.getsockname()[1]
        monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setitem(app.config, "MAIL_TIMEOUT", 0.3)
        started = time.monotonic()
        with app.app_context(), pytest.raises(MailError, match="Timeout|timed out"):
            send_mail(MailMessage(to="a@example.org", subject="S", text="x"))
        assert 0.25 < time.monotonic() - started < 3


def test_recipient_refused_by_the_server_raises(app: Flask, smtp_server) -> None:
    smtp_server.reject_recipients.add("weg@example.org")
    with app.app_context(), pytest.raises(MailError, match="weg@example.org"):
        send_mail(MailMessage(to="weg@example.org", subject="S", text="x"))
    time.sleep(0.1)
    assert smtp_server.messages == []


def test_smtp_login_uses_the_decoded_credentials_of_the_url(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = LocalSmtpServer(credentials=("difair@bqn", "p@ss:wort/1")).start()
    try:
        with app.app_context():
            monkeypatch.setitem(
                app.config, "MAIL_URL", f"smtp://difair%40bqn:falsch@127.0.0.1:{server.port}"
            )
            with pytest.raises(MailError, match="SMTPAuthenticationError"):
                send_mail(MailMessage(to="a@example.org", subject="S", text="x"))
            password = "p%40ss%3Awort%2F1"
            monkeypatch.setitem(
                app.config, "MAIL_URL", f"smtp://difair%40bqn:{password}@127.0.0.1:{server.port}"
            )
            send_mail(MailMessage(to="a@example.org", subject="S", text="x"))
        server.wait_for(1)
        assert server.logins[-1] == ("difair@bqn", "p@ss:wort/1")
    finally:
        server.stop()


def test_mail_server_settings_without_url(app: Flask, smtp_server, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_URL", None)
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    with app.app_context():
        send_mail(MailMessage(to="b@example.org", subject="Über MAIL_SERVER", text="x"))
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Über MAIL_SERVER"


# --- composing ---------------------------------------------------------------------------------


def test_compose_escapes_html_but_not_text_and_speaks_german(make_app, smtp) -> None:
    app = make_app(MAIL_URL=smtp.url)
    hostile = '<script>alert("x")</script> & Co'
    # A visitor who chose English still gets a German mail.
    with app.test_request_context("/"):
        session[LOCALE_KEY] = "en"
        message = compose(
            "kontakt@example.org",
            _l("Abmelden"),  # a lazy subject becomes German text, too
            "greeting",
            name="Ümit <b>",
            received_on=date(2025, 10, 15),
            note=hostile,
        )
        send_mail(message)
    assert message.to == "kontakt@example.org"
    assert message.subject == "Abmelden"
    assert message.text == (
        'Guten Tag Ümit <b>,\nIhre Bewerbung vom 15.10.2025 ist eingegangen: <script>alert("x")'
        "</script> & Co\n"
    ).rstrip("\n")
    assert "<script>" not in (message.html or "")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Co" in (message.html or "")
    assert "Ümit &lt;b&gt;" in (message.html or "")
    [received] = smtp.wait_for(1)
    assert '<script>alert("x")</script>' in _plain(received)
    assert "&lt;script&gt;" in received.get_body(preferencelist=("html",)).get_content()


def test_compose_without_html_template_sends_text_only(make_app) -> None:
    app = make_app()
    with app.app_context():
        message = compose("a@example.org", "Betreff", "plain_only", name="Ähre")
    assert message.text == "Nur Text für Ähre & Co."
    assert message.html is None


def test_the_english_interface_really_differs(make_app) -> None:
    """Guards the test above: without the forced locale the request would render English."""
    app = make_app()
    with app.test_request_context("/"):
        session[LOCALE_KEY] = "en"
        rendered = app.jinja_env.from_string('{{ _("Abmelden") }} {{ d|day }}').render(
            d=date(2025, 10, 15)
        )
    assert rendered == "Log out 15 Oct 2025"


# --- outbox ------------------------------------------------------------------------------------


def test_outbox_writes_one_parseable_eml_atomically(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "post" / "ausgang"
    monkeypatch.setitem(app.config, "MAIL_URL", None)
    monkeypatch.setitem(app.config, "MAIL_OUTBOX", str(folder))
    with app.app_context():
        assert outbox_folder() == folder
        send_mail(
            MailMessage(
                to="Zoë <zoe@example.org>", subject="Grüße", text="Hallo <b> Ärger", html="<p>"
            )
        )
    [path] = folder.iterdir()  # no temporary file left behind
    assert OUTBOX_NAME.match(path.name)
    assert folder.stat().st_mode & 0o777 == 0o700
    with path.open("rb") as handle:
        message = BytesParser(policy=default_policy).parse(handle)
    assert message["To"] == "Zoë <zoe@example.org>"
    assert message["Subject"] == "Grüße"
    assert _plain(message) == "Hallo <b> Ärger\n"


def test_outbox_url_with_a_folder(app: Flask, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_URL", f"outbox://{tmp_path}/via-url")
    with app.app_context():
        send_mail(MailMessage(to="a@example.org", subject="S", text="x"))
    assert len(list((tmp_path / "via-url").glob("*.eml"))) == 1


def test_test_app_mail_stays_in_its_temporary_instance_folder(app: Flask, monkeypatch) -> None:
    """Without mail settings, tests write under the test app's (temporary) instance folder."""
    for name in ("MAIL_URL", "MAIL_SERVER", "MAIL_OUTBOX"):
        monkeypatch.setitem(app.config, name, None)
    with app.app_context():
        assert outbox_folder() == Path(app.instance_path) / "outbox"


def test_unwritable_outbox_raises_mail_error(app: Flask, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setitem(app.config, "MAIL_URL", f"outbox://{blocker}/sub")
    with app.app_context(), pytest.raises(MailError):
        send_mail(MailMessage(to="a@example.org", subject="S", text="x"))


def test_a_sender_the_outbox_cannot_write_raises_mail_error(
    app: Flask, tmp_path: Path, monkeypatch
) -> None:
    """A configured sender with a non-ASCII domain (the settings page refuses one) fails
    like any mail, and leaves no file behind."""
    monkeypatch.setitem(app.config, "MAIL_URL", f"outbox://{tmp_path}/post")
    monkeypatch.setitem(app.config, "MAIL_DEFAULT_SENDER", "DiFair <difair@bürgeramt.de>")
    monkeypatch.delitem(app.extensions, mail.SENDER_PROVIDER_KEY, raising=False)
    with app.app_context(), pytest.raises(MailError, match="cannot be written"):
        send_mail(MailMessage(to="a@example.org", subject="S", text="x"))
    assert not (tmp_path / "post").exists() or not list((tmp_path / "post").iterdir())


# --- configuration -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, expected",
    [
        ("smtp://mail.example.org", SmtpBackend("mail.example.org", 25, "plain", None, None)),
        (
            "smtp+starttls://user:geheim@mail.example.org:2587",
            SmtpBackend("mail.example.org", 2587, "starttls", "user", "geheim"),
        ),
        (
            "smtp+starttls://mail.example.org",
            SmtpBackend("mail.example.org", 587, "starttls", None, None),
        ),
        (
            "smtps://u%40x:p%2Fw@mail.example.org",
            SmtpBackend("mail.example.org", 465, "ssl", "u@x", "p/w"),
        ),
        ("SMTP://Mail.Example.org:25/", SmtpBackend("mail.example.org", 25, "plain", None, None)),
        ("outbox:", OutboxBackend(None)),
        ("outbox:///var/mail/caseflow", OutboxBackend(Path("/var/mail/caseflow"))),
    ],
)
def test_mail_url_parsing(url: str, expected) -> None:
    assert parse_mail_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://mail.example.org",
        "smtp://",
        "smtp://:25",
        "smtp://mail.example.org:port",
        "smtp://mail.example.org:99999",
        "smtp://mail.example.org/path",
        "smtp://mail.example.org?tls=1",
        "outbox://host/dir",
        "outbox:relative/dir",
        "mail.example.org",
    ],
)
def test_malformed_mail_url_is_a_config_error(url: str) -> None:
    with pytest.raises(ConfigError, match="MAIL_URL"):
        parse_mail_url(url)


def test_malformed_mail_url_stops_the_start_and_hides_the_password(
    make_app, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ConfigError, match="MAIL_URL") as caught:
        make_app(MAIL_URL="smtp://user:sehr-geheim@mail.example.org:abc")
    assert "sehr-geheim" not in str(caught.value)
    monkeypatch.setenv("MAIL_URL", "imap://mail.example.org")
    with pytest.raises(ConfigError, match="MAIL_URL"):
        create_app(environment_config(Path("/nonexistent-never-created")))


def test_mail_settings_from_the_environment(make_app, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app()
    assert app.config["MAIL_DEFAULT_SENDER"] == "DiFair – BQN Berlin <difair@bqn-berlin.de>"
    assert app.config["MAIL_TIMEOUT"] == 10
    environ = {
        "MAIL_SERVER": "smtp.example.org",
        "MAIL_PORT": "587",
        "MAIL_USERNAME": "difair",
        "MAIL_PASSWORD": "pw",
        "MAIL_USE_TLS": "true",
        "MAIL_TIMEOUT": "2.5",
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    app = create_app(environment_config(Path(app.instance_path)))
    assert app.config["MAIL_TIMEOUT"] == 2.5
    assert backend_for(app.config) == SmtpBackend(
        "smtp.example.org", 587, "starttls", "difair", "pw"
    )


def test_tls_and_ssl_together_are_a_config_error(make_app) -> None:
    with pytest.raises(ConfigError, match="MAIL_USE_TLS"):
        make_app(MAIL_SERVER="smtp.example.org", MAIL_USE_TLS=True, MAIL_USE_SSL=True)


def test_production_without_mail_settings_warns_once(
    make_app, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="caseflow.mail"):
        make_app(CASEFLOW_ENV="production", BASE_URL="https://caseflow.example.org")
        warnings = [r for r in caplog.records if "MAIL_URL" in r.getMessage()]
        assert len(warnings) == 1
        caplog.clear()
        make_app(
            CASEFLOW_ENV="production",
            BASE_URL="https://caseflow.example.org",
            MAIL_URL="smtp://mail.example.org",
        )
        make_app(CASEFLOW_ENV="development")
        assert not [r for r in caplog.records if "MAIL_URL" in r.getMessage()]


# --- /outbox -----------------------------------------------------------------------------------


def _send_three(app: Flask) -> None:
    with app.app_context():
        for number, subject in enumerate(["Erste", "Zweite", "Dritte <script>x</script>"]):
            send_mail(
                MailMessage(
                    to=f"person{number}@example.org",
                    subject=subject,
                    text=f"Text {number}: <script>alert(1)</script> Grüße",
                    html="<p><script>alert('html')</script></p>",
                )
            )
            time.sleep(0.002)  # distinct timestamps in the file names


def test_outbox_page_lists_newest_first_and_shows_one_mail(make_app) -> None:
    app = make_app(CASEFLOW_ENV="development")
    _send_three(app)
    folder = Path(app.instance_path) / "outbox"
    (folder / "notizen.txt").write_text("not a mail")
    client = app.test_client()

    page = client.get("/outbox").get_data(as_text=True)
    subjects = re.findall(r'<a href="/outbox/([^"]+)">([^<]*)</a>', page)
    assert [subject for _name, subject in subjects] == [
        "Dritte &lt;script&gt;x&lt;/script&gt;",
        "Zweite",
        "Erste",
    ]
    assert "person2@example.org" in page
    assert "notizen" not in page
    assert "<script>" not in page

    name = subjects[0][0]
    response = client.get(f"/outbox/{name}")
    assert response.status_code == 200
    mail = response.get_data(as_text=True)
    assert "person2@example.org" in mail
    assert "difair@bqn-berlin.de" in mail
    assert "Text 2: &lt;script&gt;alert(1)&lt;/script&gt; Grüße" in mail
    assert "<script>" not in mail and "alert('html')" not in mail


def test_layout_links_the_outbox_only_where_it_is_enabled(make_app, client) -> None:
    link = 'href="/outbox">Postausgang (Demo)</a>'
    development = make_app(CASEFLOW_ENV="development").test_client()
    assert link in development.get("/login").get_data(as_text=True)
    assert link not in client.get("/login").get_data(as_text=True)
    smtp_development = make_app(CASEFLOW_ENV="development", MAIL_URL="smtp://mail.example.org")
    assert link not in smtp_development.test_client().get("/login").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/outbox/..%2Fsecret_key",
        "/outbox/..",
        "/outbox/secret_key",
        "/outbox/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd",
        "/outbox/20251015T093012123456Z-0000000000000000.eml",  # well formed, not there
        "/outbox/20251015T093012123456Z-0000000000000000.eml%00",
        "/outbox/notizen.txt",
    ],
)
def test_outbox_names_are_checked(make_app, path: str) -> None:
    app = make_app(CASEFLOW_ENV="development")
    _send_three(app)
    (Path(app.instance_path) / "outbox" / "notizen.txt").write_text("x")
    (Path(app.instance_path) / "secret_key").write_text("geheim")
    assert app.test_client().get(path).status_code == 404


def test_outbox_page_is_404_outside_development(make_app, client) -> None:
    assert client.get("/outbox").status_code == 404  # the testing app of the suite
    production = make_app(CASEFLOW_ENV="production", BASE_URL="https://caseflow.example.org")
    _send_three(production)
    name = next((Path(production.instance_path) / "outbox").glob("*.eml")).name
    for path in ("/outbox", f"/outbox/{name}"):
        assert production.test_client().get(path).status_code == 404


def test_outbox_page_is_404_in_development_with_smtp(make_app, monkeypatch) -> None:
    app = make_app(CASEFLOW_ENV="development")
    _send_three(app)
    name = next((Path(app.instance_path) / "outbox").glob("*.eml")).name
    client = app.test_client()
    assert client.get(f"/outbox/{name}").status_code == 200
    monkeypatch.setitem(app.config, "MAIL_URL", "smtp://mail.example.org")
    assert client.get("/outbox").status_code == 404
    assert client.get(f"/outbox/{name}").status_code == 404


# --- notification mails: language, extra headers, stable Message-ID -----------------------------


def test_compose_in_english_when_asked(make_app) -> None:
    app = make_app()
    with app.test_request_context("/"):
        session[LOCALE_KEY] = "de"  # the visitor's choice does not matter either way
        message = compose(
            "staff@example.org",
            _l("Abmelden"),
            "greeting",
            locale="en",
            name="Eve",
            received_on=date(2025, 10, 15),
            note="x",
        )
    assert message.subject == "Log out"
    assert "15 Oct 2025" in message.text


def test_extra_headers_and_a_stable_message_id_arrive(app: Flask, smtp_server) -> None:
    headers = (("Auto-Submitted", "auto-generated"), ("Content-Language", "en"))
    message = MailMessage(
        to="staff@example.org",
        subject="caseflow: Meilenstein überfällig",
        text="Text",
        html="<p>Text</p>",
        headers=headers,
        message_id="notification-7.0123456789ab",
    )
    with app.app_context():
        send_mail(message)
        send_mail(message)
    first, second = smtp_server.wait_for(2)
    assert first["Message-ID"] == "<notification-7.0123456789ab@bqn-berlin.de>"
    assert second["Message-ID"] == first["Message-ID"]
    assert first["Auto-Submitted"] == "auto-generated"
    assert first["Content-Language"] == "en"  # kept although the content was set after it
    assert first["Subject"] == "caseflow: Meilenstein überfällig"


@pytest.mark.parametrize(
    "fields",
    [
        {"headers": (("Auto-Submitted", "auto-generated\r\nBcc: alle@example.org"),)},
        {"headers": (("X-Test\nBcc", "x"),)},
        {"message_id": "zwei teile"},
        {"message_id": "a@b"},
        {"message_id": "<x>"},
    ],
)
def test_unusable_extra_headers_raise(app: Flask, smtp_server, fields) -> None:
    with app.app_context(), pytest.raises(MailError):
        send_mail(MailMessage(to="ok@example.org", subject="Betreff", text="Text", **fields))
    time.sleep(0.1)
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "message",
    [
        MailMessage(to="a@example.org", subject="Kurz", text="Hallo\n"),
        MailMessage(
            to="Dilek Yılmaz <dilek.yilmaz@ba-fk.example.org>",
            subject="DiFair – Ihre Bewerbung DF-2025-0042 ist eingegangen, "
            "mit einem Betreff, der über eine Zeile hinausgeht und umbrochen wird",
            text="Guten Tag,\n\nÄnderungen: " + "sehr lange Zeile " * 12 + "\n",
            html="<p>Guten Tag,</p>" * 30,
            reply_to="beratung@bqn-berlin.de",
            headers=(("Content-Language", "de"), ("Auto-Submitted", "auto-generated")),
        ),
        MailMessage(to="x@bürgeramt.example", subject="Umlaut-Domain", text="ä\r\nö\n"),
    ],
)
def test_the_mail_policy_writes_what_email_policy_default_writes(
    monkeypatch: pytest.MonkeyPatch, message: MailMessage
) -> None:
    """MAIL_POLICY only keeps the header classes: a message reads and is written exactly as
    with email.policy.default (but for its Date, the moment it is built, and the random
    boundary between the parts)."""
    message = dataclasses.replace(message, message_id="test.1")
    sender = "DiFair – BQN Berlin <difair@bqn-berlin.de>"

    def written() -> bytes:
        email = build_message(message, sender=sender)
        del email["Date"]
        return re.sub(rb"={15}\d+==", b"BOUNDARY", email.as_bytes(policy=mail.MAIL_POLICY))

    ours = written()
    monkeypatch.setattr(mail, "MAIL_POLICY", default_policy)
    assert written() == ours
