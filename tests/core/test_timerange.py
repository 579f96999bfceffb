from datetime import UTC, datetime

import pytest

from portal.timerange import from_query

NOW = datetime(2026, 11, 28, 10, 30, 45, tzinfo=UTC)


def test_presets_and_default():
    assert from_query({}, now=NOW).name == "day"
    week = from_query({"range": "week"}, now=NOW)
    assert (week.until - week.since).days == 7 and week.bucket == "day"
    assert from_query({"range": "hour"}, now=NOW).until == datetime(2026, 11, 28, 10, 30, tzinfo=UTC)


def test_custom_range_is_inclusive_and_capped_at_now():
    r = from_query({"range": "custom", "since": "2026-11-27", "until": "2026-11-28"}, now=NOW)
    assert r.since == datetime(2026, 11, 27, tzinfo=UTC)
    assert r.until == datetime(2026, 11, 28, 10, 30, tzinfo=UTC)
    assert r.bucket == "hour"


@pytest.mark.parametrize(("params", "message"), [
    ({"range": "month"}, "range must be one of hour, day, week, custom"),
    ({"range": "custom", "since": "yesterday", "until": "2026-11-28"}, "since must be a date"),
    ({"range": "custom", "since": "2026-11-28", "until": "2026-11-01"}, "since must be on or before until"),
    ({"range": "custom", "since": "2026-01-01", "until": "2026-11-01"}, "at most 31 days"),
])
def test_bad_urls_name_the_field_and_rule(params, message):
    with pytest.raises(ValueError, match=message):
        from_query(params, now=NOW)
