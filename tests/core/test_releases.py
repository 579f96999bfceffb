"""Support status from the shipped releases file and from a supported-versions document."""

from datetime import date

import pytest

from portal.releases import ReleaseCatalog, SupportStatus, load_catalog, parse_minor

TODAY = date(2026, 11, 28)


@pytest.fixture(scope="module")
def catalog() -> ReleaseCatalog:
    return load_catalog()


@pytest.mark.parametrize(
    ("version", "status", "end"),
    [
        ("8.5.1", SupportStatus.LTS, date(2027, 6, 30)),
        ("8.6.0", SupportStatus.SUPPORTED, None),
        ("8.4.0", SupportStatus.OUT_OF_SUPPORT, date(2026, 10, 31)),
        ("7.10.10", SupportStatus.OUT_OF_SUPPORT, date(2026, 9, 30)),
        ("8.7.0", SupportStatus.NEWER_UNKNOWN, None),
        ("9.0.0-rc.2", SupportStatus.NEWER_UNKNOWN, None),
        ("0.61.2", SupportStatus.OUT_OF_SUPPORT, date(2019, 4, 30)),
        ("3.18.7-develop", SupportStatus.OUT_OF_SUPPORT, date(2022, 2, 28)),
        ("not a version", SupportStatus.UNKNOWN, None),
        (None, SupportStatus.UNKNOWN, None),
    ],
)
def test_support_status_on_a_fixed_day(catalog, version, status, end):
    support = catalog.support(version, today=TODAY)
    assert support.status is status
    assert support.end_of_support == end


def test_last_day_of_support_is_still_supported(catalog):
    assert catalog.support("8.3.2", today=date(2026, 10, 31)).status is SupportStatus.SUPPORTED
    assert catalog.support("8.3.2", today=date(2026, 11, 1)).status is SupportStatus.OUT_OF_SUPPORT


def test_summary_names_the_end_date(catalog):
    assert catalog.support("8.4.0", today=TODAY).summary == "Out of support since 2026-10-31"
    assert catalog.support("8.5.0", today=TODAY).summary == "Supported (LTS) until 2027-06-30"


def test_supported_versions_document_replaces_end_dates(catalog):
    newer = catalog.with_supported_versions(
        {"signed": "x", "timestamp": "2026-11-01", "versions": [
            {"version": "8.6.0", "expiration": "2026-11-15T00:00:00Z"},
            {"version": "8.7.0", "expiration": "2027-03-31T00:00:00Z"},
            {"version": "garbage"},
        ]}
    )
    assert newer.support("8.6.1", today=TODAY).status is SupportStatus.OUT_OF_SUPPORT
    assert newer.support("8.7.2", today=TODAY).status is SupportStatus.SUPPORTED
    assert newer.support("8.8.0", today=TODAY).status is SupportStatus.NEWER_UNKNOWN
    # the original is untouched
    assert catalog.support("8.6.1", today=TODAY).status is SupportStatus.SUPPORTED


def test_supported_minors_today(catalog):
    names = [r.name for r in catalog.supported_minors(today=TODAY)]
    assert names == ["8.6", "8.5"]


def test_bad_file_names_the_line(tmp_path):
    path = tmp_path / "releases.csv"
    path.write_text("minor,lts,released,end_of_support,latest_patch\n8.1,no,2026-02-10,2026-08-31,\nbanana,no,,,\n")
    with pytest.raises(ValueError, match=r"releases.csv:3: minor 'banana'"):
        ReleaseCatalog.from_csv(path)


def test_parse_minor():
    assert parse_minor("v7.10.3-rc.1") == (7, 10)
    assert parse_minor("8") is None
