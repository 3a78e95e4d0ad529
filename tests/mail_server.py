"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), collecting what it receives.

Use the ``smtp_server`` fixture (tests/conftest.py): it starts a server, points the test app's
``MAIL_URL`` at it and yields a ``LocalSmtpServer``::

    def test_sends(app, smtp_server):
        ... send ...
        [message] = smtp_server.wait_for(1)
        assert message["To"] == "x@example.org"
        assert message.envelope_rcpt == ["x@example.org"]
        assert "Guten Tag" in message.get_body(("plain",)).get_content()
"""

from __future__ import annotations

import socket
import threading
import time
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, Session


class ReceivedMessage(EmailMessage):
    """A received message (``email.policy.default``) with its SMTP envelope."""

    envelope_from: str
    envelope_rcpt: list[str]


class _Collector:
    """The aiosmtpd handler: parses each message and keeps it."""

    def __init__(self, server: LocalSmtpServer) -> None:
        self.server = server

    async def handle_RCPT(  # noqa: N802
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list
    ) -> str:
        if address in self.server.reject_recipients:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes)
        raw = raw.replace(b"\r\n", b"\n")
        message = BytesParser(_class=ReceivedMessage, policy=default_policy).parsebytes(raw)
        message.envelope_from = envelope.mail_from
        message.envelope_rcpt = list(envelope.rcpt_tos)
        with self.server._condition:
            self.server.messages.append(message)
            self.server._condition.notify_all()
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalSmtpServer:
    """An SMTP server on 127.0.0.1 in a background thread; ``messages`` in arrival order.

    ``reject_recipients``: addresses answered with 550 at RCPT TO. ``credentials``: a
    ``(user, password)`` pair the server checks when a client logs in (AUTH PLAIN/LOGIN
    without TLS; logging in is offered, not required). Line ends of received messages are
    ``\n``, as a mail program shows them.
    """

    def __init__(self, *, credentials: tuple[str, str] | None = None) -> None:
        self.messages: list[ReceivedMessage] = []
        self.reject_recipients: set[str] = set()
        self.credentials = credentials
        self.logins: list[tuple[str, str]] = []
        self._condition = threading.Condition()
        self.host = "127.0.0.1"
        self.port = free_port()
        auth = (
            {"authenticator": self._authenticate, "auth_require_tls": False} if credentials else {}
        )
        # SMTPUTF8 on: a server that takes UTF-8 addresses, as Postfix and Exim do.
        self._controller = Controller(
            _Collector(self), hostname=self.host, port=self.port, enable_SMTPUTF8=True, **auth
        )

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def _authenticate(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        login = (data.login.decode(), data.password.decode())
        self.logins.append(login)
        return AuthResult(success=login == self.credentials, handled=False)

    def start(self) -> LocalSmtpServer:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def wait_for(self, count: int, timeout: float = 5) -> list[ReceivedMessage]:
        """Wait until ``count`` messages arrived (AssertionError after ``timeout`` seconds);
        return all messages received so far."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while len(self.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} message(s), got {len(self.messages)} in {timeout}s"
                    )
                self._condition.wait(remaining)
            return list(self.messages)
