"""OASIS CAP 1.2 alerts for the mechanism's urgent hotline notifications.

An incident with casualties, or a strike deep behind the line of contact, is pushed to the
parties' hotlines as a Common Alerting Protocol message, so any CAP-aware alerting system can
read it. This module only builds the XML: what to send, when and to whom is decided elsewhere.

It follows CAP-v1.2-os (OASIS, 2010) and its schema (``cap12.xsd``, which the tests validate
against). The rules the schema cannot check, or checks only as a pattern, are checked here:

- times carry an explicit numeric offset and whole seconds; "Z" MUST NOT be used and UTC is
  written ``-00:00`` (section 3.3.2), which is the form :func:`cap_time` writes;
- ``identifier`` and ``sender`` hold no spaces, commas, ``<`` or ``&`` (section 3.2.1);
- ``addresses`` is required when ``scope`` is Private and ``restriction`` when it is Restricted;
  addresses are space-delimited and one that holds whitespace is double-quoted (section 3.2.1);
- a circle is ``lat,lon radius`` in WGS 84 with the radius in kilometres (section 3.2.4).

Problems are reported with the Python field names, all at once, as one :class:`InputError`.
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from ceasefire.errors import InputError, Problem

__all__ = ["CAP_NAMESPACE", "CapAlert", "CapArea", "cap_time", "reference_to", "to_xml"]

CAP_NAMESPACE = "urn:oasis:names:tc:emergency:cap:1.2"

# The enumerations of cap12.xsd, in the schema's order.
STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel", "Ack", "Error")
SCOPES = ("Public", "Restricted", "Private")
CATEGORIES = (
    "Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
    "CBRNE", "Other",
)  # fmt: skip
RESPONSE_TYPES = (
    "Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None",
)  # fmt: skip
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")

_UTC_OFFSET = "-00:00"  # CAP-v1.2-os 3.3.2: "The timezone for UTC MUST be represented as '-00:00'"
_FORBIDDEN_IN_ID = re.compile(r"[\s,<&]")  # CAP-v1.2-os 3.2.1, identifier and sender
_LANGUAGE = re.compile(r"[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*\Z")  # xs:language (RFC 3066 form)
# Characters XML 1.0 cannot carry at all (section 2.2): ElementTree would write them anyway and
# the receiver's parser would then refuse the whole alert.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _q(tag: str) -> str:
    return f"{{{CAP_NAMESPACE}}}{tag}"


def _decimal(value: float, places: int) -> str:
    """``value`` rounded to ``places`` decimals without trailing zeros (``-0`` written ``0``)."""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class CapArea:
    """One ``<area>``: a point, or a circle of ``radius_m`` metres around it (WGS 84 degrees).

    CAP has no point element; a point is the circle of radius 0, which is how CAP feeds usually
    carry one.

    Raises
    ------
    InputError
        An empty description, a coordinate out of range or a negative or non-finite radius.
    """

    description: str
    lon: float
    lat: float
    radius_m: float | None = None

    def __post_init__(self) -> None:
        problems = list(self._problems("area"))
        if problems:
            raise InputError(problems)

    def _problems(self, where: str, prefix: str = "") -> Iterator[Problem]:
        if not self.description.strip():
            yield Problem(where, f"{prefix}description", "is empty; CAP requires an areaDesc")
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            yield Problem(where, f"{prefix}lat", f"{self.lat!r} is not a latitude in [-90, 90]")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            yield Problem(where, f"{prefix}lon", f"{self.lon!r} is not a longitude in [-180, 180]")
        if self.radius_m is not None and not (math.isfinite(self.radius_m) and self.radius_m >= 0):
            yield Problem(where, f"{prefix}radius_m", f"{self.radius_m!r} is not a radius >= 0")

    @property
    def circle(self) -> str:
        """The CAP circle text, ``lat,lon radius_km``: 5 decimals of a degree (about 1 m) and
        3 of a kilometre (1 m)."""
        radius_km = 0.0 if self.radius_m is None else self.radius_m / 1000.0
        point = f"{_decimal(self.lat, 5)},{_decimal(self.lon, 5)}"
        return f"{point} {_decimal(radius_km, 3)}"


def cap_time(moment: datetime) -> str:
    """``moment`` as CAP writes a time: in UTC, whole seconds, offset ``-00:00``.

    The schema's pattern admits neither fractional seconds nor "Z", so the microseconds are
    dropped (truncated, so a time never moves past the moment it stands for).

    >>> from datetime import timedelta, timezone
    >>> cap_time(datetime(2026, 3, 10, 20, 4, 0, 750_000, tzinfo=timezone(timedelta(hours=2))))
    '2026-03-10T18:04:00-00:00'

    Raises
    ------
    InputError
        ``moment`` is naive: its offset from UTC is unknown.
    """
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InputError(Problem("cap time", "moment", "is naive; give a timezone-aware datetime"))
    utc = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + _UTC_OFFSET


def _quoted_address(address: str) -> str:
    return f'"{address}"' if any(c.isspace() for c in address) else address


@dataclass(frozen=True, kw_only=True)
class CapAlert:
    """One CAP alert with one ``<info>`` block. Keyword-only: the fields are many and mostly
    strings, so positional calls would be easy to get wrong.

    ``references`` holds extended message identifiers, ``sender,identifier,sent`` each (see
    :func:`reference_to`); ``parameters`` are ``(valueName, value)`` pairs; ``response_types``
    are CAP responseType values (for example ``("Avoid", "Monitor")``).

    Raises
    ------
    InputError
        Every problem found: a value outside a CAP enumeration (the allowed values are listed),
        a naive time, a Private alert without addresses, a Restricted one without a restriction,
        an identifier or sender holding a space, comma, ``<`` or ``&``, ...
    """

    identifier: str
    sender: str
    sent: datetime
    status: str = "Actual"
    msg_type: str = "Alert"
    scope: str = "Private"
    addresses: tuple[str, ...] = ()
    restriction: str | None = None
    references: tuple[str, ...] = ()
    event: str
    category: str = "Security"
    response_types: tuple[str, ...] = ()
    urgency: str = "Immediate"
    severity: str = "Severe"
    certainty: str = "Likely"
    headline: str = ""
    description: str = ""
    instruction: str = ""
    expires: datetime | None = None
    onset: datetime | None = None
    web: str | None = None
    parameters: tuple[tuple[str, str], ...] = ()
    areas: tuple[CapArea, ...] = ()
    language: str = "en-GB"
    sender_name: str | None = None

    def __post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise InputError(problems)

    def _problems(self) -> Iterator[Problem]:
        where = f"CAP alert {self.identifier!r}"
        for field, value in (("identifier", self.identifier), ("sender", self.sender)):
            if not value:
                yield Problem(where, field, "is empty")
            elif _FORBIDDEN_IN_ID.search(value):
                yield Problem(where, field, "must not contain whitespace, ',', '<' or '&' (CAP)")
        for field, value, allowed in (
            ("status", self.status, STATUSES),
            ("msg_type", self.msg_type, MSG_TYPES),
            ("scope", self.scope, SCOPES),
            ("category", self.category, CATEGORIES),
            ("urgency", self.urgency, URGENCIES),
            ("severity", self.severity, SEVERITIES),
            ("certainty", self.certainty, CERTAINTIES),
        ):
            if value not in allowed:
                yield Problem(where, field, f"{value!r} is not one of {', '.join(allowed)}")
        for i, value in enumerate(self.response_types):
            if value not in RESPONSE_TYPES:
                yield Problem(
                    where,
                    f"response_types[{i}]",
                    f"{value!r} is not one of {', '.join(RESPONSE_TYPES)}",
                )
        for field, moment in (
            ("sent", self.sent),
            ("expires", self.expires),
            ("onset", self.onset),
        ):
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                yield Problem(where, field, "is naive; give a timezone-aware datetime")
        if self.scope == "Private" and not self.addresses:
            yield Problem(where, "addresses", "is required when scope is Private")
        if self.scope == "Restricted" and not (self.restriction or "").strip():
            yield Problem(where, "restriction", "is required when scope is Restricted")
        for i, address in enumerate(self.addresses):
            if not address.strip() or '"' in address:
                yield Problem(where, f"addresses[{i}]", "must be non-empty and hold no '\"'")
        for i, reference in enumerate(self.references):
            if not reference or any(c.isspace() for c in reference) or reference.count(",") != 2:
                yield Problem(
                    where, f"references[{i}]", "must be 'sender,identifier,sent' without spaces"
                )
        if not self.event.strip():
            yield Problem(where, "event", "is empty; CAP requires an event")
        if not _LANGUAGE.match(self.language):
            yield Problem(where, "language", f"{self.language!r} is not a language tag")
        if self.web is not None and not self.web.strip():
            yield Problem(where, "web", "is empty; leave it None instead")
        for i, (name, _value) in enumerate(self.parameters):
            if not name.strip():
                yield Problem(where, f"parameters[{i}]", "has an empty valueName")
        for i, area in enumerate(self.areas):
            yield from area._problems(where, f"areas[{i}].")
        for field, text in self._texts():
            if _NOT_XML.search(text):
                yield Problem(where, field, "holds a character XML 1.0 cannot carry")

    def _texts(self) -> Iterator[tuple[str, str]]:
        """Every free text of the alert, with the field it sits in."""
        yield "identifier", self.identifier
        yield "sender", self.sender
        for field in ("event", "headline", "description", "instruction", "web", "sender_name"):
            value = getattr(self, field)
            if value is not None:
                yield field, value
        if self.restriction is not None:
            yield "restriction", self.restriction
        for i, address in enumerate(self.addresses):
            yield f"addresses[{i}]", address
        for i, reference in enumerate(self.references):
            yield f"references[{i}]", reference
        for i, (name, value) in enumerate(self.parameters):
            yield f"parameters[{i}]", name + value
        for i, area in enumerate(self.areas):
            yield f"areas[{i}].description", area.description


def reference_to(alert: CapAlert) -> str:
    """The extended message identifier of ``alert`` (``sender,identifier,sent``), for the
    ``references`` of an Update, Cancel or Ack that follows it (CAP-v1.2-os 3.2.1)."""
    return f"{alert.sender},{alert.identifier},{cap_time(alert.sent)}"


def _add(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, _q(tag))
    element.text = text
    return element


def to_xml(alert: CapAlert) -> bytes:
    """The alert as a CAP 1.2 document: UTF-8 with an XML declaration, the elements in the
    order of the schema's ``xs:sequence`` (a CAP parser may rely on it; the schema does).

    The alert was checked when it was made, so this cannot fail on a :class:`CapAlert`.
    """
    root = ET.Element(_q("alert"))
    _add(root, "identifier", alert.identifier)
    _add(root, "sender", alert.sender)
    _add(root, "sent", cap_time(alert.sent))
    _add(root, "status", alert.status)
    _add(root, "msgType", alert.msg_type)
    _add(root, "scope", alert.scope)
    if alert.restriction is not None:
        _add(root, "restriction", alert.restriction)
    if alert.addresses:
        _add(root, "addresses", " ".join(_quoted_address(a) for a in alert.addresses))
    if alert.references:
        _add(root, "references", " ".join(alert.references))

    info = ET.SubElement(root, _q("info"))
    _add(info, "language", alert.language)
    _add(info, "category", alert.category)
    _add(info, "event", alert.event)
    for response_type in alert.response_types:
        _add(info, "responseType", response_type)
    _add(info, "urgency", alert.urgency)
    _add(info, "severity", alert.severity)
    _add(info, "certainty", alert.certainty)
    if alert.onset is not None:
        _add(info, "onset", cap_time(alert.onset))
    if alert.expires is not None:
        _add(info, "expires", cap_time(alert.expires))
    if alert.sender_name is not None:
        _add(info, "senderName", alert.sender_name)
    for tag, text in (
        ("headline", alert.headline),
        ("description", alert.description),
        ("instruction", alert.instruction),
    ):
        if text:
            _add(info, tag, text)
    if alert.web is not None:
        _add(info, "web", alert.web)
    for name, value in alert.parameters:
        parameter = ET.SubElement(info, _q("parameter"))
        _add(parameter, "valueName", name)
        _add(parameter, "value", value)
    for area in alert.areas:
        element = ET.SubElement(info, _q("area"))
        _add(element, "areaDesc", area.description)
        _add(element, "circle", area.circle)
    # default_namespace rather than ET.register_namespace: the latter is process-wide state.
    document: bytes = ET.tostring(
        root, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NAMESPACE
    )
    return document
