from datetime import UTC, date, datetime

import pytest

from portal.clients.models import Workspace
from portal.drilldown import Drill, fleet_filters, from_query, minors_with_status, workspaces_csv
from portal.releases import load_catalog

BY_MINOR = {"8.6": 10, "8.5": 20, "8.4": 5, "7.10": 7, "0.61": 1, "9.1": 2}


def test_support_drill_becomes_the_minors_with_that_status():
    catalog = load_catalog()
    filters = fleet_filters(Drill("support", "out_of_support"), by_minor=BY_MINOR, catalog=catalog)
    today = date.today()
    expected = sorted(m for m in BY_MINOR if not catalog.support(m, today=today).status.is_supported
                      and catalog.support(m, today=today).status.value == "out_of_support")
    assert filters == {"minor": ",".join(expected)}
    assert "0.61" in filters["minor"] and "8.6" not in filters["minor"]


def test_support_drill_accepts_the_label_too():
    catalog = load_catalog()
    expected = sorted(m for m in BY_MINOR if catalog.support(m).status.value == "lts")
    assert minors_with_status("Supported (LTS)", BY_MINOR, catalog) == expected == minors_with_status("lts", BY_MINOR,
                                                                                                      catalog)


def test_other_dimensions():
    catalog = load_catalog()
    assert fleet_filters(Drill("hosting", "cloud-hosted"), by_minor={}, catalog=catalog) == {"hosted": "true"}
    assert fleet_filters(Drill("silent", "yes"), by_minor={}, catalog=catalog) == {"stats_silent_hours": 48}
    assert fleet_filters(Drill("deploy_method", "snap"), by_minor={}, catalog=catalog) == {"deploy_method": "snap"}


@pytest.mark.parametrize(("params", "message"), [
    ({"drill": "colour", "value": "red"}, "drill must be one of"),
    ({"drill": "minor"}, "value is required"),
])
def test_bad_drill_in_url(params, message):
    with pytest.raises(ValueError, match=message):
        from_query(params)


def test_bad_support_value_names_the_rule():
    with pytest.raises(ValueError, match="value must be a support status"):
        minors_with_status("great", BY_MINOR, load_catalog())


def _ws(i: int, name: str) -> Workspace:
    return Workspace(id=f"ws_{i}", unique_id=f"u{i}", name=name, site_url="https://x.example", contact_email="a@b.c",
                     version="8.5.0", deploy_method="docker", deploy_platform="selfinstall", hosted=False,
                     plan="pro", registration_state="registered", suspended=False,
                     created_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_csv_export_limits_rows_and_defuses_formulas():
    text = workspaces_csv((_ws(i, "=HYPERLINK(\"x\")" if i == 0 else f"Acme {i}") for i in range(10)), limit=3)
    lines = text.strip().splitlines()
    assert lines[0].startswith("id,unique_id,name")
    assert len(lines) == 4
    assert lines[1].split(",")[2].startswith("\"'=HYPERLINK")


def test_every_plain_dimension_is_a_fleet_filter():
    from portal.clients.fleet import WORKSPACE_FILTERS
    from portal.drilldown import DIMENSIONS

    computed = {"support", "hosting", "silent"}  # turned into other filters by fleet_filters
    assert set(DIMENSIONS) - computed <= WORKSPACE_FILTERS
