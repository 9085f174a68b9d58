"""E-mail for urgent notifications: build one message, hand it to one SMTP server.

The hotline itself does not depend on e-mail; mail is a second path that wakes people up. So
this module does two small things and reports failure loudly: :func:`build_message` refuses
anything that could smuggle extra headers or recipients into a message, and :func:`send`
turns every SMTP or network failure into one :class:`~ceasefire.errors.DeliveryError` that
names the server and the reason. Standard library only (``email``, ``smtplib``, ``ssl``).
"""

from __future__ import annotations

import email.policy
import email.utils
import re
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from ceasefire.errors import DeliveryError, InputError, Problem

SMTP_PORT = 25
"""Relay port (RFC 5321 §4.5.4.2): used for ``smtp://`` when the URL names no port."""

SUBMISSION_PORT = 587
"""Message submission port (RFC 6409 §3.1): used for ``smtp+starttls://`` without a port."""

_SCHEMES = {"smtp": (False, SMTP_PORT), "smtp+starttls": (True, SUBMISSION_PORT)}

# Headers build_message writes itself; a caller's ``headers`` may not replace them, because a
# second To or From is how a message reaches someone it was not meant for.
_OWN_HEADERS = frozenset({"from", "to", "cc", "bcc", "subject", "date", "message-id"})

# A 7-bit body passes every relay; 8-bit is only allowed when the server offers 8BITMIME
# (RFC 6152), which we cannot know when the message is built. With this policy the email
# package picks quoted-printable or base64 for non-ASCII text instead of raw 8-bit.
_POLICY = email.policy.default.clone(cte_type="7bit")

# RFC 5322 §3.6.8: a field name is printable ASCII (33-126) other than the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+")

_WHERE_SETTINGS = "mail settings"
_WHERE_MESSAGE = "mail message"


@dataclass(frozen=True, kw_only=True)
class SmtpSettings:
    """Where and how to hand mail on.

    ``sender`` is the From address (and the envelope sender). With ``starttls`` the connection
    is upgraded to TLS before anything else is said, and sending fails rather than falling
    back to clear text when the server cannot do it. ``password`` is left out of ``repr`` so
    that settings can be logged. Keyword-only: ``port`` and ``sender`` are easy to swap.
    """

    host: str
    port: int = SMTP_PORT
    sender: str
    starttls: bool = False
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0

    @classmethod
    def parse(cls, url: str, sender: str) -> SmtpSettings:
        """Read ``smtp://host[:port]`` or ``smtp+starttls://[user:password@]host[:port]``.

        Credentials are only taken with ``smtp+starttls``: on plain ``smtp`` the password
        would cross the network in clear text. User and password may be percent-encoded.

        >>> SmtpSettings.parse("smtp+starttls://ops:s%40cret@mail.example.org", "ops@example.org")
        SmtpSettings(host='mail.example.org', port=587, sender='ops@example.org', starttls=True, username='ops', timeout_s=10.0)
        """

        def refuse(reason: str) -> InputError:
            return InputError(Problem(_WHERE_SETTINGS, "smtp", reason))

        parts = urlsplit(url.strip())
        if parts.scheme not in _SCHEMES:
            raise refuse(
                f"scheme must be smtp:// or smtp+starttls://, not {parts.scheme or 'empty'}://"
                if "://" in url
                else "expected a URL such as smtp://mail.example.org:25"
            )
        starttls, default_port = _SCHEMES[parts.scheme]
        if not parts.hostname:
            raise refuse("the URL names no host")
        try:
            port = parts.port
        except ValueError:
            port_text = parts.netloc.rpartition(":")[2]
            raise refuse(f"port must be a number from 1 to 65535, not {port_text!r}") from None
        if port == 0:
            raise refuse("port must be a number from 1 to 65535, not 0")
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise refuse("the URL may hold only scheme, credentials, host and port")
        if parts.username is not None and not starttls:
            raise refuse("credentials need smtp+starttls:// so the password is not sent in clear")
        _check_address(sender, _WHERE_SETTINGS, "sender")
        return cls(
            host=parts.hostname,
            sender=sender,
            port=port or default_port,
            starttls=starttls,
            username=unquote(parts.username) if parts.username is not None else None,
            password=unquote(parts.password) if parts.password is not None else None,
        )

    @property
    def server(self) -> str:
        """``host:port``, as error messages name the server."""
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message, for example a CAP alert (``application/cap+xml``)."""

    filename: str
    content: bytes
    mime_type: str


def build_message(
    settings: SmtpSettings,
    to: Sequence[str],
    subject: str,
    text: str,
    *,
    message_id: str | None = None,
    attachments: Sequence[Attachment] = (),
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Build a plain-text UTF-8 message from ``settings.sender`` to ``to``.

    The message gets a Date and a Message-ID (``message_id``, or a new one in the sender's
    domain, so that replies and bounces can be matched to the notification). Raises
    :class:`InputError` for no recipients, a recipient that is not ``something@domain``, or
    a CR/LF in the subject or in an extra header: those would let text become new headers.
    """
    if isinstance(to, str):
        # A bare string is a Sequence[str] of characters; take it as one address, not many.
        to = [to]
    if not to:
        raise InputError(Problem(_WHERE_MESSAGE, "to", "at least one recipient is needed"))
    for address in to:
        _check_address(address, _WHERE_MESSAGE, "to")
    sender_domain = _check_address(settings.sender, _WHERE_MESSAGE, "sender")
    _check_header_value(subject, "subject")
    if message_id is not None:
        _check_header_value(message_id, "message_id")

    message = EmailMessage(policy=_POLICY)
    message["From"] = settings.sender
    message["To"] = ", ".join(to)
    message["Subject"] = subject
    # RFC 5322 §3.6.1: Date is required; UTC so every party reads the same clock.
    message["Date"] = email.utils.formatdate(usegmt=True)
    # make_msgid without a domain asks the resolver for this host's name, which may be slow
    # or leak an internal name; the sender's domain is ours to use (RFC 5322 §3.6.4).
    message["Message-ID"] = message_id or email.utils.make_msgid(domain=sender_domain)
    for name, value in (headers or {}).items():
        if name.strip().lower() in _OWN_HEADERS:
            raise InputError(
                Problem(_WHERE_MESSAGE, f"headers.{name}", "is set by build_message itself")
            )
        if not _HEADER_NAME.fullmatch(name):
            raise InputError(
                Problem(_WHERE_MESSAGE, f"headers.{name!r}", "is not a valid header name")
            )
        _check_header_value(value, f"headers.{name}")
        message[name] = value
    message.set_content(text, charset="utf-8")
    for index, attachment in enumerate(attachments):
        maintype, slash, subtype = attachment.mime_type.partition("/")
        if not (maintype and slash and subtype) or "/" in subtype:
            raise InputError(
                Problem(
                    _WHERE_MESSAGE,
                    f"attachments[{index}].mime_type",
                    f"must look like type/subtype, not {attachment.mime_type!r}",
                )
            )
        _check_header_value(attachment.filename, f"attachments[{index}].filename")
        message.add_attachment(
            attachment.content, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
    return message


def send(settings: SmtpSettings, message: EmailMessage) -> None:
    """Hand ``message`` to the server in ``settings``; return only when it took every recipient.

    Raises :class:`DeliveryError` naming the server and the reason when the server cannot be
    reached, refuses TLS, the login, the sender or any recipient. A server that takes some
    recipients and refuses others still fails: a notification that reaches half its readers
    must not look delivered.
    """
    server = settings.server
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_s) as smtp:
            if settings.starttls:
                # Certificate and host name are checked (ssl.create_default_context); an
                # unverified TLS session would hand the password to whoever answers.
                smtp.starttls(context=ssl.create_default_context())
            if settings.username is not None:
                smtp.login(settings.username, settings.password or "")
            refused = smtp.send_message(message, from_addr=settings.sender)
    except smtplib.SMTPRecipientsRefused as exc:
        raise DeliveryError(
            f"{server} refused every recipient: {_refusals(exc.recipients)}"
        ) from exc
    except smtplib.SMTPSenderRefused as exc:
        raise DeliveryError(
            f"{server} refused the sender {exc.sender}: {_reply(exc.smtp_code, exc.smtp_error)}"
        ) from exc
    except smtplib.SMTPResponseException as exc:
        raise DeliveryError(f"{server}: {_reply(exc.smtp_code, exc.smtp_error)}") from exc
    except (smtplib.SMTPException, OSError) as exc:
        # OSError covers refused connections, timeouts, DNS failures and TLS errors
        # (ssl.SSLError is an OSError).
        reason = str(exc) or type(exc).__name__
        raise DeliveryError(f"{server}: {reason}") from exc
    if refused:
        raise DeliveryError(f"{server} refused some recipients: {_refusals(refused)}")


def _check_address(address: str, where: str, field_name: str) -> str:
    """Return the domain of ``address`` or raise InputError: it must be one local@domain."""
    if "\r" in address or "\n" in address:
        raise InputError(Problem(where, field_name, "an address may not contain a line break"))
    # getaddresses, not only parseaddr: parseaddr reads "a@x, b@y" as a@x, but the To header
    # built from that string would reach both.
    found = email.utils.getaddresses([address])
    bare = email.utils.parseaddr(address)[1]
    local, at, domain = bare.rpartition("@")
    if len(found) != 1 or not (local and at and domain) or any(c.isspace() for c in bare):
        raise InputError(
            Problem(where, field_name, f"{address!r} is not one e-mail address (local@domain)")
        )
    if not bare.isascii():
        # Non-ASCII addresses need SMTPUTF8 (RFC 6531) on every hop; a domain can be given in
        # its ASCII (punycode) form instead, which every server takes.
        raise InputError(
            Problem(
                where,
                field_name,
                f"{address!r}: the address itself must be ASCII "
                "(write the domain in punycode, xn--...; a display name may be any text)",
            )
        )
    return domain


def _check_header_value(value: str, field_name: str) -> None:
    # A CR or LF inside a header value would end the header and start one chosen by whoever
    # wrote the value (header injection, e.g. an added Bcc).
    if "\r" in value or "\n" in value:
        raise InputError(Problem(_WHERE_MESSAGE, field_name, "may not contain a line break"))


def _reply(code: int, text: bytes | str) -> str:
    """One SMTP reply as ``550 no such mailbox``."""
    words = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    return f"{code} {words}".strip()


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    """``a@x (550 no such mailbox), b@y (...)``, sorted so messages are stable."""
    return ", ".join(
        f"{address} ({_reply(code, text)})" for address, (code, text) in sorted(refused.items())
    )
