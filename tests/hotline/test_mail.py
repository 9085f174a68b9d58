"""Mail: messages are built safely and really cross SMTP, checked against a loopback server.

The server is aiosmtpd on 127.0.0.1 with a port the kernel picks, so the tests need no
network and cannot reach anybody's mailbox.
"""

from __future__ import annotations

import socket
import time

import pytest

from ceasefire.errors import DeliveryError, InputError
from ceasefire.hotline.mail import Attachment, SmtpSettings, build_message, send
from mailserver import CAP_ALERT, LOOPBACK, REFUSED, SENDER, SmtpServer, received


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound once by us, then released."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
    return port


# --- sending ------------------------------------------------------------------------------


def test_alert_with_cap_attachment_arrives_intact(smtp_server: SmtpServer) -> None:
    settings = smtp_server.settings()
    subject = "Терміново: обстріл біля Куп'янська, сектор 4"
    body = "Повідомлення про обстріл о 04:10 UTC.\nPlease confirm receipt on the hotline.\n"
    message = build_message(
        settings,
        ["duty-officer@party-a.example.org", "Черговий <duty@party-b.example.org>"],
        subject,
        body,
        message_id="<cf-2024-0042@monitor.example.org>",
        attachments=[Attachment("cf-2024-0042.cap.xml", CAP_ALERT, "application/cap+xml")],
        headers={"X-Ceasefire-Incident": "cf-2024-0042"},
    )

    send(settings, message)

    [envelope] = smtp_server.mailbox.envelopes
    assert envelope.mail_from == SENDER
    assert envelope.rcpt_tos == ["duty-officer@party-a.example.org", "duty@party-b.example.org"]
    got = received(envelope)
    assert got["Subject"] == subject
    assert got["Message-ID"] == "<cf-2024-0042@monitor.example.org>"
    assert got["X-Ceasefire-Incident"] == "cf-2024-0042"
    assert got["Date"] is not None
    text_part = got.get_body(preferencelist=("plain",))
    assert text_part is not None
    assert text_part.get_content_charset() == "utf-8"
    assert text_part.get_content() == body
    [attachment] = list(got.iter_attachments())
    assert attachment.get_content_type() == "application/cap+xml"
    assert attachment.get_filename() == "cf-2024-0042.cap.xml"
    assert attachment.get_payload(decode=True) == CAP_ALERT


def test_the_message_on_the_wire_is_seven_bit(smtp_server: SmtpServer) -> None:
    # Servers without 8BITMIME must still be able to relay Ukrainian text.
    settings = smtp_server.settings()
    send(settings, build_message(settings, ["a@party-a.example.org"], "Тест", "Перевірка зв'язку"))
    [envelope] = smtp_server.mailbox.envelopes
    assert envelope.content.isascii()
    assert received(envelope).get_content().rstrip("\n") == "Перевірка зв'язку"


def test_a_refused_recipient_is_named(smtp_server: SmtpServer) -> None:
    settings = smtp_server.settings()
    message = build_message(settings, [REFUSED], "Ceasefire check", "Are you there?")
    with pytest.raises(DeliveryError, match=f"{REFUSED}.*550 no such mailbox") as caught:
        send(settings, message)
    assert f"{LOOPBACK}:{smtp_server.port}" in str(caught.value)
    assert smtp_server.mailbox.envelopes == []


def test_one_refused_recipient_of_two_still_fails(smtp_server: SmtpServer) -> None:
    settings = smtp_server.settings()
    message = build_message(
        settings, ["ok@party-a.example.org", REFUSED], "Ceasefire check", "Are you there?"
    )
    with pytest.raises(DeliveryError, match="refused some recipients") as caught:
        send(settings, message)
    assert REFUSED in str(caught.value)
    assert "ok@party-a.example.org" not in str(caught.value)


def test_a_closed_port_fails_fast_and_names_the_server(closed_port: int) -> None:
    settings = SmtpSettings(host=LOOPBACK, port=closed_port, sender=SENDER, timeout_s=2.0)
    message = build_message(settings, ["a@party-a.example.org"], "Ping", "Nobody listens.")
    started = time.monotonic()
    with pytest.raises(DeliveryError, match=f"{LOOPBACK}:{closed_port}"):
        send(settings, message)
    assert time.monotonic() - started < 2.0


def test_starttls_is_not_skipped_when_the_server_lacks_it(smtp_server: SmtpServer) -> None:
    # aiosmtpd without a TLS context does not offer STARTTLS; sending in clear instead would
    # hide a downgrade.
    settings = smtp_server.settings(starttls=True, username="ops", password="secret")
    message = build_message(settings, ["a@party-a.example.org"], "Ping", "Only over TLS.")
    with pytest.raises(DeliveryError, match="STARTTLS") as caught:
        send(settings, message)
    assert "secret" not in str(caught.value)
    assert smtp_server.mailbox.envelopes == []


# --- settings -----------------------------------------------------------------------------


def test_parse_reads_a_plain_relay() -> None:
    settings = SmtpSettings.parse("smtp://relay.example.org:2525", SENDER)
    assert settings == SmtpSettings(host="relay.example.org", port=2525, sender=SENDER)


def test_parse_reads_submission_with_credentials() -> None:
    settings = SmtpSettings.parse("smtp+starttls://ops%40monitor:p%3Ass@mail.example.org", SENDER)
    assert (settings.host, settings.port, settings.starttls) == ("mail.example.org", 587, True)
    assert (settings.username, settings.password) == ("ops@monitor", "p:ss")
    assert "p:ss" not in repr(settings)


def test_parse_uses_port_25_when_none_is_given() -> None:
    assert SmtpSettings.parse("smtp://relay.example.org", SENDER).port == 25


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://relay.example.org:25", "scheme must be smtp:// or .*, not http://"),
        ("smtps://relay.example.org", "scheme must be"),
        ("relay.example.org:25", "expected a URL"),
        ("smtp://:25", "no host"),
        ("smtp://relay.example.org:port", "port must be a number"),
        ("smtp://relay.example.org:70000", "port must be a number"),
        ("smtp://relay.example.org:0", "port must be a number"),
        ("smtp://relay.example.org/inbox", "only scheme, credentials, host and port"),
        ("smtp://ops:secret@relay.example.org", "smtp\\+starttls"),
    ],
)
def test_parse_refuses(url: str, reason: str) -> None:
    with pytest.raises(InputError, match=reason) as caught:
        SmtpSettings.parse(url, SENDER)
    assert caught.value.problems[0].field == "smtp"
    assert "secret" not in str(caught.value)


def test_parse_refuses_a_sender_that_is_no_address() -> None:
    with pytest.raises(InputError) as caught:
        SmtpSettings.parse("smtp://relay.example.org", "hotline")
    assert caught.value.problems[0].field == "sender"


# --- building -----------------------------------------------------------------------------

SETTINGS = SmtpSettings(host="relay.example.org", sender=SENDER)


def test_build_makes_a_message_id_in_the_sender_domain() -> None:
    message = build_message(SETTINGS, ["a@party-a.example.org"], "Ping", "Hello")
    assert message["Message-ID"].endswith("@monitor.example.org>")
    assert message["From"] == SENDER


def test_build_refuses_no_recipients() -> None:
    with pytest.raises(InputError, match="at least one recipient") as caught:
        build_message(SETTINGS, [], "Ping", "Hello")
    assert caught.value.problems[0].field == "to"


@pytest.mark.parametrize(
    "address",
    [
        "duty-officer",
        "duty@",
        "@party-a.example.org",
        "a@party-a.example.org, b@party-b.example.org",
        "a@party-a.example.org\r\nBcc: spy@elsewhere.example",
        "черговий@party-a.example.org",
    ],
)
def test_build_refuses_a_bad_address(address: str) -> None:
    with pytest.raises(InputError) as caught:
        build_message(SETTINGS, ["ok@party-a.example.org", address], "Ping", "Hello")
    assert caught.value.problems[0].field == "to"


@pytest.mark.parametrize("subject", ["Ping\nBcc: spy@elsewhere.example", "Ping\r", "\nPing"])
def test_build_refuses_a_line_break_in_the_subject(subject: str) -> None:
    with pytest.raises(InputError, match="line break") as caught:
        build_message(SETTINGS, ["a@party-a.example.org"], subject, "Hello")
    assert caught.value.problems[0].field == "subject"


@pytest.mark.parametrize(
    ("headers", "field_name"),
    [
        ({"Bcc": "spy@elsewhere.example"}, "headers.Bcc"),
        ({"X-Note": "one\nBcc: spy@elsewhere.example"}, "headers.X-Note"),
        ({"X Note": "spaces are not allowed in names"}, "headers.'X Note'"),
    ],
)
def test_build_refuses_unsafe_extra_headers(headers: dict[str, str], field_name: str) -> None:
    with pytest.raises(InputError) as caught:
        build_message(SETTINGS, ["a@party-a.example.org"], "Ping", "Hello", headers=headers)
    assert caught.value.problems[0].field == field_name


def test_build_refuses_a_mime_type_without_subtype() -> None:
    with pytest.raises(InputError, match="type/subtype"):
        build_message(
            SETTINGS,
            ["a@party-a.example.org"],
            "Ping",
            "Hello",
            attachments=[Attachment("alert.xml", b"<alert/>", "xml")],
        )
