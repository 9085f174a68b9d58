"""Who may read and do what (DESIGN section 6): roles, tokens, and the views each role gets.

Pure policy, no I/O: the service asks these functions for every request, so the rules live in
one place that a test can walk role by role.

Roles:

- ``admin`` runs the installation; ``monitor`` works for the mission (reports, verification);
  ``mediator`` sees everything, including every party's traffic, and releases incidents;
- ``party`` is bound to one party code: it sees its own submissions, the incidents that concern
  it, and any other incident only as the public sees it (released, delayed, coarsened); never
  the mission's sensor positions or patrol routes, nor the other party's reports;
- ``public`` sees released incidents only, once the delay has passed (24 h by default), at a
  coarsened place unless released in full.

Within what a view keeps, nothing may name another submitter: an incident's ``key`` (its
anchor report's id) is shown only to the party that submitted that report; a party's incident
lists only its own ``sources``; the basis of an automatic status change (fusion names every
source in it) is dropped for a party and the public
(:func:`ceasefire.publish.views.status_change_view`); a violation's ``evidence`` (report ids) is
cut to the party's own reports and dropped for the public
(:func:`ceasefire.publish.views.violation_view`).

This package is the one home of these rules. Every surface asks it: the HTTP API and OGC API -
Features (through :class:`ceasefire.publish.visibility.Viewer`, which reads from the store what
the rules need: releases, the parties a violation holds against, which ids are the caller's own
reports), the hotline (who may name an incident, read a message, is notified) and the CLI
(speaking as a hotline address). Each question has one predicate (``may_*``); each view is
built only after its predicate said yes, so a view and a check can never disagree. The rules
take values, never the store: this package is core.

Callers import every rule from here; each module holds one subject:

- :mod:`~ceasefire.publish.access.roles`: the roles, their actions, the principal, tokens;
- :mod:`~ceasefire.publish.access.reports`: reading, storing and retracting reports, tallies;
- :mod:`~ceasefire.publish.access.tiers`: the daily report's tiers;
- :mod:`~ceasefire.publish.access.incidents`: reading incidents, releases, the public's delay;
- :mod:`~ceasefire.publish.access.hotline`: addresses, messages, replies, notifications;
- :mod:`~ceasefire.publish.access.proofs`: ledger inclusion bundles.
"""

from __future__ import annotations

from ceasefire.publish.access.hotline import (
    HOTLINE_MEDIATOR,
    HOTLINE_MISSION,
    Addressed,
    address_principal,
    hotline_address,
    hotline_scope,
    may_read_message,
    notified_parties,
    progress_scope,
)
from ceasefire.publish.access.incidents import (
    COARSE_DEG,
    COARSE_RADIUS_M,
    PUBLIC_DELAY,
    Release,
    concerns,
    is_released,
    may_read_incident,
    reads_released_only,
)
from ceasefire.publish.access.proofs import may_prove
from ceasefire.publish.access.reports import (
    MISSION_SOURCE_KINDS,
    PARTY_SOURCE_KIND,
    check_submission,
    entered_by,
    may_read_report,
    may_retract,
    may_submit_as,
    report_ids,
    report_scope,
    submission_refusal,
    submits_as,
    tally_refusal,
)
from ceasefire.publish.access.roles import (
    ACTIONS,
    ROLES,
    Principal,
    may,
    may_act,
    new_token,
    require,
    token_hash,
)
from ceasefire.publish.access.tiers import report_tier, report_tiers

__all__ = [
    "ACTIONS",
    "COARSE_DEG",
    "COARSE_RADIUS_M",
    "HOTLINE_MEDIATOR",
    "HOTLINE_MISSION",
    "MISSION_SOURCE_KINDS",
    "PARTY_SOURCE_KIND",
    "PUBLIC_DELAY",
    "ROLES",
    "Addressed",
    "Principal",
    "Release",
    "address_principal",
    "check_submission",
    "concerns",
    "entered_by",
    "hotline_address",
    "hotline_scope",
    "is_released",
    "may",
    "may_act",
    "may_prove",
    "may_read_incident",
    "may_read_message",
    "may_read_report",
    "may_retract",
    "may_submit_as",
    "new_token",
    "notified_parties",
    "progress_scope",
    "reads_released_only",
    "report_ids",
    "report_scope",
    "report_tier",
    "report_tiers",
    "require",
    "submission_refusal",
    "submits_as",
    "tally_refusal",
    "token_hash",
]
