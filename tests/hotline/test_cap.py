"""CAP 1.2 alerts: built with the standard library, checked against the OASIS schema."""

from __future__ import annotations

import dataclasses
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from lxml import etree

from backends import vector
from ceasefire.agreement.model import HotlineDeadlines
from ceasefire.errors import InputError
from ceasefire.hotline.cap import CAP_NAMESPACE, CapAlert, CapArea, cap_time, reference_to, to_xml
from ceasefire.hotline.rules import notification
from ceasefire.hotline.scheduler import cap_alert

NS = {"cap": CAP_NAMESPACE}
SENT = datetime(2026, 3, 10, 18, 4, tzinfo=UTC)


@pytest.fixture(scope="module")
def cap_schema() -> etree.XMLSchema:
    """The OASIS CAP 1.2 schema, from the conformance vectors (backends.vector)."""
    return etree.XMLSchema(etree.parse(str(vector("cap", "cap12.xsd"))))


def _minimal(**changes: Any) -> CapAlert:
    fields: dict[str, Any] = {
        "identifier": "jcm-hotline-2026-0042",
        "sender": "hotline@jcm.example.org",
        "sent": SENT,
        "addresses": ("party-a-hotline",),
        "event": "Shelling near a checkpoint",
    }
    fields.update(changes)
    return CapAlert(**fields)


def _full() -> CapAlert:
    return CapAlert(
        identifier="jcm-hotline-2026-0043",
        sender="hotline@jcm.example.org",
        sent=datetime(2026, 3, 10, 20, 4, 31, tzinfo=timezone(timedelta(hours=2))),
        status="Exercise",
        msg_type="Update",
        scope="Private",
        addresses=("party-a-hotline", "Party B duty officer"),
        restriction="For the two parties' liaison officers only",
        references=("hotline@jcm.example.org,jcm-hotline-2026-0042,2026-03-10T18:04:00-00:00",),
        event="Strike behind the line of contact",
        category="Security",
        response_types=("Avoid", "Monitor"),
        urgency="Immediate",
        severity="Extreme",
        certainty="Observed",
        headline="Shelling reported near a checkpoint; two injured",
        description="Two rounds landed 300 m east of the northern crossing; two civilians hurt.",
        instruction="Hold fire on the sector and confirm receipt on the hotline.",
        expires=datetime(2026, 3, 11, 18, 4, tzinfo=UTC),
        onset=datetime(2026, 3, 10, 17, 55, tzinfo=UTC),
        web="https://jcm.example.org/incidents/2026-0043",
        parameters=(("incident", "INC-2026-0043"), ("casualties", "2")),
        areas=(
            CapArea("Northern crossing", lon=36.23456789, lat=48.1234567, radius_m=1500),
            CapArea("Depot 12 km behind the line", lon=-0.5, lat=-0.000001),
        ),
        language="en-GB",
        sender_name="Joint Ceasefire Monitoring hotline",
    )


def _problem_fields(excinfo: pytest.ExceptionInfo[InputError]) -> list[str]:
    return [problem.field for problem in excinfo.value.problems]


def test_full_alert_validates(cap_schema: etree.XMLSchema) -> None:
    document = etree.fromstring(to_xml(_full()))
    assert cap_schema.validate(document), cap_schema.error_log


def test_minimal_alert_validates(cap_schema: etree.XMLSchema) -> None:
    xml = to_xml(_minimal())
    assert xml.startswith(b"<?xml version='1.0' encoding='utf-8'?>")
    assert cap_schema.validate(etree.fromstring(xml)), cap_schema.error_log


def test_schema_rejects_a_z_offset(cap_schema: etree.XMLSchema) -> None:
    """The validation tests could fail: the schema refuses "Z", which CAP forbids."""
    xml = to_xml(_minimal())
    assert b"<sent>2026-03-10T18:04:00-00:00</sent>" in xml
    broken = xml.replace(b"18:04:00-00:00</sent>", b"18:04:00Z</sent>")
    assert broken != xml
    assert not cap_schema.validate(etree.fromstring(broken))


def test_parsed_back_values() -> None:
    root = ET.fromstring(to_xml(_full()))
    assert root.tag == f"{{{CAP_NAMESPACE}}}alert"
    assert root.findtext("cap:identifier", namespaces=NS) == "jcm-hotline-2026-0043"
    assert root.findtext("cap:sent", namespaces=NS) == "2026-03-10T18:04:31-00:00"
    assert root.findtext("cap:addresses", namespaces=NS) == 'party-a-hotline "Party B duty officer"'
    info = root.find("cap:info", NS)
    assert info is not None
    assert [e.text for e in info.findall("cap:responseType", NS)] == ["Avoid", "Monitor"]
    circles = [e.text for e in info.findall("cap:area/cap:circle", NS)]
    assert circles == ["48.12346,36.23457 1.5", "0,-0.5 0"]
    parameters = [
        (p.findtext("cap:valueName", namespaces=NS), p.findtext("cap:value", namespaces=NS))
        for p in info.findall("cap:parameter", NS)
    ]
    assert parameters == [("incident", "INC-2026-0043"), ("casualties", "2")]
    assert info.findtext("cap:headline", namespaces=NS) == (
        "Shelling reported near a checkpoint; two injured"
    )


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2026, 3, 10, 18, 4, tzinfo=UTC), "2026-03-10T18:04:00-00:00"),
        (
            datetime(2026, 3, 10, 21, 4, 5, 999_999, tzinfo=timezone(timedelta(hours=3))),
            "2026-03-10T18:04:05-00:00",
        ),
        (
            datetime(2026, 3, 10, 23, 30, tzinfo=timezone(-timedelta(hours=1, minutes=30))),
            "2026-03-11T01:00:00-00:00",
        ),
    ],
)
def test_cap_time(moment: datetime, text: str, cap_schema: etree.XMLSchema) -> None:
    assert cap_time(moment) == text
    xml = to_xml(_minimal(sent=moment, onset=moment, expires=moment + timedelta(hours=6)))
    assert f"<sent>{text}</sent>".encode() in xml
    assert cap_schema.validate(etree.fromstring(xml)), cap_schema.error_log


def test_reference_to_an_earlier_alert(cap_schema: etree.XMLSchema) -> None:
    first = _minimal(sent=SENT.replace(microsecond=250_000))
    assert reference_to(first) == (
        "hotline@jcm.example.org,jcm-hotline-2026-0042,2026-03-10T18:04:00-00:00"
    )
    update = _minimal(identifier="jcm-hotline-2026-0044", msg_type="Update")
    update = dataclasses.replace(update, references=(reference_to(first),))
    assert cap_schema.validate(etree.fromstring(to_xml(update))), cap_schema.error_log


def test_naive_sent_is_refused() -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(sent=datetime(2026, 3, 10, 18, 4))
    assert _problem_fields(excinfo) == ["sent"]
    with pytest.raises(InputError, match="moment"):
        cap_time(datetime(2026, 3, 10, 18, 4))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "Real"),
        ("msg_type", "Notice"),
        ("scope", "Everyone"),
        ("category", "Military"),
        ("urgency", "Now"),
        ("severity", "Catastrophic"),
        ("certainty", "Certain"),
    ],
)
def test_bad_enumeration_is_refused(field: str, value: str) -> None:
    with pytest.raises(InputError, match="is not one of") as excinfo:
        _minimal(**{field: value})
    assert field in _problem_fields(excinfo)


def test_bad_response_type_is_refused() -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(response_types=("Avoid", "Retaliate"))
    assert _problem_fields(excinfo) == ["response_types[1]"]
    assert "AllClear" in str(excinfo.value)


def test_private_scope_needs_addresses() -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(addresses=())
    assert _problem_fields(excinfo) == ["addresses"]


def test_restricted_scope_needs_restriction(cap_schema: etree.XMLSchema) -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(scope="Restricted", addresses=())
    assert _problem_fields(excinfo) == ["restriction"]
    alert = _minimal(scope="Restricted", addresses=(), restriction="Liaison officers only")
    assert cap_schema.validate(etree.fromstring(to_xml(alert))), cap_schema.error_log


@pytest.mark.parametrize("identifier", ["jcm hotline 42", "jcm,42", "jcm<42", "jcm&42", ""])
def test_bad_identifier_is_refused(identifier: str) -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(identifier=identifier)
    assert _problem_fields(excinfo) == ["identifier"]


def test_sender_with_a_space_is_refused() -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(sender="JCM hotline")
    assert _problem_fields(excinfo) == ["sender"]


def test_every_problem_is_reported() -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(status="Real", addresses=(), expires=datetime(2026, 3, 11))
    assert _problem_fields(excinfo) == ["status", "expires", "addresses"]


def test_text_xml_cannot_carry_is_refused() -> None:
    with pytest.raises(InputError) as excinfo:
        _minimal(description="Two injured\x00")
    assert _problem_fields(excinfo) == ["description"]


@pytest.mark.parametrize(
    ("area", "field"),
    [
        (dict(description="Bridge", lon=30.0, lat=91.0), "lat"),
        (dict(description="Bridge", lon=181.0, lat=48.0), "lon"),
        (dict(description="Bridge", lon=30.0, lat=48.0, radius_m=-5.0), "radius_m"),
        (dict(description=" ", lon=30.0, lat=48.0), "description"),
    ],
)
def test_bad_area_is_refused(area: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as excinfo:
        CapArea(**area)
    assert _problem_fields(excinfo) == [field]


def test_a_notification_of_harm_states_it_and_its_alert_carries_it(
    cap_schema: etree.XMLSchema,
) -> None:
    """Issue 18's night in Odesa: the notification says who was hurt, what was hit and who is
    without what since when, and so does the CAP alert's description (schema-valid)."""
    incident = {
        "id": "INC-000018",
        "event_type": "drone_strike",
        "observed_from": "2026-02-18T03:50:00+00:00",
        "observed_to": "2026-02-18T04:05:00+00:00",
        "status": "corroborated",
        "oblast": "Odesa",
        "party": "UA",
        "distance_m": 180_000.0,
        "lon": 30.72,
        "lat": 46.48,
        "uncertainty_m": 300.0,
        "killed": {"low": 2, "best": 2, "high": 2},
        "injured": {"low": 7, "best": 9, "high": 11},
        "civilians_injured": {"low": 9, "best": 9, "high": 9},
        "harm": {
            "infrastructure": ["energy", "heating", "water"],
            "people_affected": {"min": 40_000, "max": 60_000},
            "outage_from": "2026-02-18T06:10:00+02:00",
            "outage_to": None,
            "utilities": ["heating", "water"],
        },
    }
    deadlines = HotlineDeadlines(timedelta(minutes=15), timedelta(hours=24), timedelta(hours=6))
    message = notification(incident, "UA", SENT, deadlines)
    harm = (
        "Harm reported: 2 killed, 9 injured (7-11; civilians 9); energy, heating, water hit; "
        "40,000-60,000 people without heating and water since 2026-02-18 04:10 UTC."
    )
    assert harm in message.text and message.urgent
    xml = to_xml(cap_alert(message, "hotline@jcm.example.org"))
    assert cap_schema.validate(etree.fromstring(xml)), cap_schema.error_log
    description = ET.fromstring(xml).find("cap:info/cap:description", NS)
    assert description is not None and harm in (description.text or "")
    quiet = notification({**incident, "killed": None, "injured": None, "harm": None,
                          "civilians_injured": None}, "UA", SENT, deadlines)  # fmt: skip
    assert "Harm reported" not in quiet.text
