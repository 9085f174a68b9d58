"""A real SMTP server on loopback for the e-mail tests (aiosmtpd), and what it received."""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from ceasefire.hotline.mail import SmtpSettings

LOOPBACK = "127.0.0.1"
SENDER = "hotline@monitor.example.org"
REFUSED = "nobody@party-b.example.org"

CAP_ALERT = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">\n'
    b"  <identifier>cf-2024-0042</identifier>\n"
    b"  <sender>hotline@monitor.example.org</sender>\n"
    b"  <status>Actual</status><msgType>Alert</msgType><scope>Restricted</scope>\n"
    b"  <info><event>Shelling reported near \xd0\x9a\xd1\x83\xd0\xbf'\xd1\x8f\xd0\xbd\xd1\x81\xd1\x8c\xd0\xba</event></info>\n"
    b"</alert>\n"
)


@dataclass
class Mailbox:
    """aiosmtpd handler: keeps every envelope it accepts, refuses the addresses in ``refuse``."""

    refuse: frozenset[str] = frozenset()
    envelopes: list[Any] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 no such mailbox"
        # With a RCPT hook in place aiosmtpd leaves recording the recipient to us.
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.envelopes.append(envelope)
        return "250 OK"


class LoopbackController(Controller):
    """A Controller that can listen on port 0.

    aiosmtpd 1.4 checks the new server by connecting to ``self.port``; with port 0 that is
    no port at all, so learn the real one from the bound socket before the check.
    """

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


@dataclass
class SmtpServer:
    mailbox: Mailbox
    port: int

    def settings(self, **overrides: Any) -> SmtpSettings:
        return SmtpSettings(
            host=LOOPBACK, port=self.port, sender=SENDER, **{"timeout_s": 5.0, **overrides}
        )


# ``smtp_server``, a running one of these that refuses ``REFUSED``, is in conftest.py.


def received(envelope: Any) -> EmailMessage:
    message = email.message_from_bytes(envelope.content, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
