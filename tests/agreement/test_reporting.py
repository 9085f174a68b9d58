"""The reporting day: the agreement's cutoff in its own time zone, across changes of clocks, and
the problems a bad ``reporting`` block gets."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest

from ceasefire.agreement.load import check_agreement, demo_agreement_path, load_agreement
from ceasefire.agreement.model import describe
from ceasefire.agreement.reporting import ReportingDay

DATA = Path(__file__).resolve().parents[1] / "data" / "agreements"
KYIV = ReportingDay(time(9, 0), "Europe/Kyiv")


def test_the_demo_day_ends_at_nine_in_kyiv_and_its_night_is_the_day_that_ended() -> None:
    demo = load_agreement(demo_agreement_path())
    assert demo.reporting == KYIV
    assert describe(demo)["reporting"] == {"day_ends": "09:00", "timezone": "Europe/Kyiv"}
    # 09:20 UTC on 11 March is 11:20 in Kyiv (UTC+2 in winter): the day that ended is the
    # night of 10 to 11 March, 09:00 to 09:00 local.
    at = datetime(2026, 3, 11, 9, 20, tzinfo=UTC)
    assert KYIV.ended_by(at) == (
        datetime(2026, 3, 10, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 11, 7, 0, tzinfo=UTC),
    )
    assert KYIV.holding(at) == (
        datetime(2026, 3, 11, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 12, 7, 0, tzinfo=UTC),
    )


def test_a_cutoff_itself_ends_a_day_and_starts_the_next() -> None:
    cutoff = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
    assert KYIV.last_cutoff(cutoff) == cutoff
    assert KYIV.ended_by(cutoff)[1] == cutoff
    assert KYIV.holding(cutoff)[0] == cutoff
    assert KYIV.last_cutoff(cutoff - timedelta(microseconds=1)) == cutoff - timedelta(days=1)


@pytest.mark.parametrize(
    ("local_day_starting", "hours"),
    [("2026-03-28", 23), ("2026-10-24", 25), ("2026-06-01", 24), ("2026-12-31", 24)],
)
def test_a_day_across_a_change_of_clocks_lasts_23_or_25_hours(
    local_day_starting: str, hours: int
) -> None:
    # Kyiv moves to summer time on the last Sunday of March and back on the last of October.
    noon = datetime.fromisoformat(f"{local_day_starting}T12:00:00+00:00")
    start, end = KYIV.holding(noon)
    assert end - start == timedelta(hours=hours)
    assert start <= noon < end


def test_every_instant_falls_in_one_day_the_one_after_the_day_that_ended() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    for _ in range(2000):  # a year, every 4 h 23 min: every hour of the clock, both offsets
        start, end = KYIV.holding(at)
        assert start <= at < end
        assert KYIV.ended_by(at)[1] == start
        assert KYIV.holding(start) == (start, end)
        at += timedelta(hours=4, minutes=23)


def test_a_map_opens_on_the_last_day_ended_or_on_the_day_of_older_data() -> None:
    now = datetime(2026, 12, 5, 18, 0, tzinfo=UTC)  # 20:00 in Kyiv
    ended = (datetime(2026, 12, 4, 7, 0, tzinfo=UTC), datetime(2026, 12, 5, 7, 0, tzinfo=UTC))
    # Live: the newest report is minutes old, or from the day that ended: that day.
    assert KYIV.first_shown(now - timedelta(minutes=5), now) == ended
    assert KYIV.first_shown(ended[0] + timedelta(hours=1), now) == ended
    assert KYIV.first_shown(None, now) == ended
    # An archive (the demo): the day holding its newest observation, not an empty one.
    newest = datetime(2026, 3, 11, 6, 0, tzinfo=UTC)
    assert KYIV.first_shown(newest, now) == KYIV.holding(newest)
    assert KYIV.holding(newest) == (
        datetime(2026, 3, 10, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 11, 7, 0, tzinfo=UTC),
    )


def test_without_a_reporting_block_the_day_ends_at_midnight_utc() -> None:
    plain = load_agreement(DATA / "valid_minimal.yaml")
    assert plain.reporting == ReportingDay()
    assert "reporting" not in describe(plain)  # registered as it was before the block existed
    at = datetime(2026, 5, 2, 13, 0, tzinfo=UTC)
    assert plain.reporting.ended_by(at) == (
        datetime(2026, 5, 1, tzinfo=UTC),
        datetime(2026, 5, 2, tzinfo=UTC),
    )


def _with_reporting(tmp_path: Path, block: str) -> Path:
    shutil.copy(DATA / "simple_line.geojson", tmp_path)
    path = tmp_path / "agreement.yaml"
    path.write_text((DATA / "valid_minimal.yaml").read_text() + "reporting:\n" + block)
    return path


@pytest.mark.parametrize(
    ("block", "field", "words"),
    [
        ("  day_ends: 9:00\n", "reporting.day_ends", "got 540"),  # YAML's base 60
        ('  day_ends: "9am"\n', "reporting.day_ends", "'9am'"),
        ('  day_ends: "25:00"\n', "reporting.day_ends", "'25:00'"),
        ("  timezone: Europe/Atlantis\n", "reporting.timezone", "'Europe/Atlantis'"),
        ("  timezone: ../../etc/passwd\n", "reporting.timezone", "time zone name"),
        ("  ends_at: '09:00'\n", "reporting.ends_at", "unknown field"),
    ],
)
def test_a_bad_reporting_block_names_its_field(
    tmp_path: Path, block: str, field: str, words: str
) -> None:
    problems = check_agreement(_with_reporting(tmp_path, block))
    hits = [p for p in problems if p.field == field]
    assert hits, [str(p) for p in problems]
    assert any(words in p.reason for p in hits), [str(p) for p in hits]


def test_the_night_of_a_date_runs_from_its_cutoff_to_the_next_across_a_change_of_clocks() -> None:
    # The night of 10 March is 09:00 to 09:00 Kyiv time (UTC+2); that of 28 March ends after
    # the clocks went forward (UTC+3): 23 hours. Each is the day holding its own start.
    assert KYIV.starting(datetime(2026, 3, 10).date()) == (
        datetime(2026, 3, 10, 7, 0, tzinfo=UTC),
        datetime(2026, 3, 11, 7, 0, tzinfo=UTC),
    )
    start, end = KYIV.starting(datetime(2026, 3, 28).date())
    assert end - start == timedelta(hours=23)
    assert KYIV.holding(start) == (start, end)
    # Named by the date it starts on: 08:59 Kyiv time on 11 March is still the night of 10.
    assert KYIV.night_of(datetime(2026, 3, 11, 6, 59, tzinfo=UTC)) == date(2026, 3, 10)
    assert KYIV.night_of(end) == date(2026, 3, 29)
