"""A supervisor's file stays in their part of the organisation (issue 13, point 4).

Another region's orders, customers and staff are bad rows, and the message is the one an unknown key
gets or one that says no more than "not yours": the importer never learns whether it exists.
"""

from __future__ import annotations

from pathlib import Path

from huifang.cases.models import Case
from huifang.conftest import Org
from huifang.customers.models import Customer
from huifang.events.importing import RowError
from huifang.events.models import Event
from huifang.events.services import import_file
from huifang.events.tests.files import EVENT_HEADER, repair, write_csv
from huifang.events.tests.test_import_complaints import HEADER as COMPLAINT_HEADER
from huifang.events.tests.test_import_complaints import NOW, complaint
from huifang.factories import make_customer, make_event


def test_an_order_of_another_region_is_a_bad_row_and_is_not_moved(org: Org, tmp_path: Path) -> None:
    south_customer = make_customer(unit=org.south_service)
    foreign = make_event(customer=south_customer, external_id="WX000001", type="repair")
    rows = [repair(1), repair(2)]  # WX000001 is the south's order; WX000002 is new
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, rows)
    report = import_file(kind="events", path=path, by=org.east_supervisor, accept_good_rows=True)
    assert report.errors == [RowError(2, "external_id", "not available to your part of the organisation")]
    foreign.refresh_from_db()
    assert (foreign.customer_id, foreign.unit_id) == (south_customer.pk, org.south_service.pk)
    assert Event.objects.filter(external_id="WX000002", unit=org.east_property).exists()


def test_the_message_for_another_regions_order_names_neither_region_nor_customer(
    org: Org, tmp_path: Path
) -> None:
    south_customer = make_customer(unit=org.south_service, name="欧阳娜娜")
    make_event(customer=south_customer, external_id="WX000001", type="repair")
    path = write_csv(tmp_path / "orders.csv", EVENT_HEADER, [repair(1)])
    report = import_file(kind="events", path=path, by=org.east_supervisor)
    text = " ".join(str(e) for e in report.errors)
    for secret in ("华南", "广州", south_customer.ref, "欧阳娜娜"):
        assert secret not in text


def test_a_customer_of_another_region_is_not_changed_by_a_customers_file(org: Org, tmp_path: Path) -> None:
    south_customer = make_customer(unit=org.south_service, name="欧阳娜娜")
    path = write_csv(
        tmp_path / "c.csv", ["customer_ref", "name", "phone"], [[south_customer.ref, "改名", "13900000001"]]
    )
    report = import_file(kind="customers", path=path, by=org.east_supervisor)
    assert report.errors == [RowError(2, "customer_ref", "not available to your part of the organisation")]
    south_customer.refresh_from_db()
    assert south_customer.name == "欧阳娜娜"


def test_an_owner_of_another_region_reads_as_no_such_username(org: Org, tmp_path: Path) -> None:
    header = ["customer_ref", "name", "phone", "owner"]
    rows = [["C1", "张伟", "13900000001", "erin"], ["C2", "李娜", "13900000002", "nobody"]]
    path = write_csv(tmp_path / "c.csv", header, rows)
    report = import_file(kind="customers", path=path, by=org.east_supervisor)
    assert report.errors == [
        RowError(2, "owner", "no staff member has the username “erin”"),
        RowError(3, "owner", "no staff member has the username “nobody”"),
    ]
    assert not Customer.objects.exists()


def test_an_owner_of_the_importers_subtree_is_accepted(org: Org, tmp_path: Path) -> None:
    header = ["customer_ref", "name", "phone", "owner"]
    path = write_csv(tmp_path / "c.csv", header, [["C1", "张伟", "13900000001", "alice"]])
    import_file(kind="customers", path=path, by=org.east_supervisor)
    assert Customer.objects.get(ref="C1").owner == org.agent


def test_hq_may_name_any_regions_owner(org: Org, tmp_path: Path) -> None:
    header = ["customer_ref", "name", "phone", "owner"]
    path = write_csv(tmp_path / "c.csv", header, [["C1", "张伟", "13900000001", "erin"]])
    import_file(kind="customers", path=path, by=org.hq_staff)
    assert Customer.objects.get(ref="C1").owner == org.south_agent


def test_a_complaint_received_by_another_regions_staff_is_a_bad_row(org: Org, tmp_path: Path) -> None:
    customer = make_customer(unit=org.east_property)
    rows = [complaint(customer, receiver="erin")]
    path = write_csv(tmp_path / "complaints.csv", COMPLAINT_HEADER, rows)
    report = import_file(kind="complaints", path=path, by=org.east_supervisor, now=NOW)
    assert report.errors == [RowError(2, "receiver", "no staff member has the username “erin”")]
    assert not Case.objects.exists()
