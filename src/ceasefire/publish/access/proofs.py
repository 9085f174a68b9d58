"""Who may have a ledger leaf's inclusion bundle (:func:`may_prove`).

Its own module because a bundle carries its record whole, past every view's cut: it is given
only where the other rules of :mod:`ceasefire.publish.access` would show the record whole, so
this rule sits above them (reports, hotline messages) and asks them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ceasefire.publish.access.hotline import may_read_message
from ceasefire.publish.access.reports import may_read_report
from ceasefire.publish.access.roles import Principal

__all__ = ["may_prove"]


def may_prove(
    principal: Principal,
    kind: str,
    record: Mapping[str, Any],
    *,
    incident: Mapping[str, Any] | None = None,
    own_reports: Collection[str] = (),
) -> bool:
    """Whether the principal may have the inclusion bundle of a ledger leaf of ``kind``.

    A bundle carries its record whole (no view can cut it), so it is given only where the
    principal's views would show the record whole:

    - an agreement: to anyone;
    - a report: one it may read (:func:`~ceasefire.publish.access.reports.may_read_report`);
    - a hotline message: one it may read (:func:`~ceasefire.publish.access.hotline.may_read_message`);
    - a status change: a person's decision (not fusion's, whose basis names every source) on
      an incident it may read (``incident``: its view of the record's incident, None hidden);
    - a violation: on an incident it may read, whose evidence is all its own reports
      (``own_reports``), at a place it is shown in full (a coarsened view rounds the facts'
      distances; the record does not);
    - a violation's superseded mark (its number and when): on an incident it may read, whose
      violations it sees (the mark says no more than ``/violations?include_superseded``);
    - a retraction: of one of its own reports (``own_reports``), which it may read; the mission
      retracts a party's report with a reason the party is owed;
    - anything else (releases, incidents, users, keys): the mission only.
    """
    if principal.sees_all or kind == "agreement":
        return True
    if kind == "report":
        return may_read_report(principal, record)
    if kind == "hotline_message":
        return may_read_message(principal, record)
    if kind == "retraction":
        return principal.role == "party" and record.get("report_id") in set(own_reports)
    if kind not in ("status_change", "violation", "violation_superseded") or incident is None:
        return False
    if kind == "violation_superseded":
        return True
    if kind == "status_change":
        return not record.get("automatic")
    evidence = set(record.get("evidence") or ())
    return evidence <= set(own_reports) and incident.get("place_precision") != "coarsened"
