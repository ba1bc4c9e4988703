"""The shipping pages (spec 30 §9.1, §9.6; acceptance 58-60): the notes table as page and
fragment, its filters and pages, inline and bulk status changes, the export, one note's page,
carriers under settings, and who gets in."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity
from app.models.commerce import ShippingCarrier, ShippingNote
from app.models.features import PlatformPlan
from app.models.tenancy import Tenant
from services import shipping_notes
from services.features import definitions, grants
from services.tenancy import tenant_scope
from tests.factories import ACTOR
from tests.functional.conftest import host_of, in_platform, text
from tests.support.htmx import location_path
from tests.unit.services.test_shipping import PHYSICAL, add_carrier, pay, physical_order

URL = "/dashboard/shipping-notes"
HTMX = {"HX-Request": "true"}


def on_plan(app, tenant, granted=PHYSICAL) -> int:
    with in_platform(app):
        plan = definitions.create_plan(ACTOR, slug=f"ship-{tenant.slug}", name="Physical")
        for slug in granted:
            grants.set_grant(ACTOR, plan, definitions.find_feature(slug), "enabled")
        grants.assign_plan(ACTOR, db.session.get(Tenant, tenant.id), plan)
        return plan.id


@pytest.fixture
def alpha(app, make_tenant):
    tenant = make_tenant(slug="alpha", name="Alpha Books")
    tenant.platform_plan = on_plan(app, tenant)
    return tenant


@pytest.fixture
def beta(app, make_tenant):
    tenant = make_tenant(slug="beta", name="Beta Press")
    on_plan(app, tenant)
    return tenant


@pytest.fixture
def admin(alpha, make_user, signed_in):
    return signed_in(host_of(alpha), make_user(tenant=alpha, admin=True).email)


@pytest.fixture
def reader(alpha, make_user):
    return make_user(tenant=alpha, email="ana@example.com")


@pytest.fixture
def make_note(app):
    """Sells `tenant` a physical plan to `user` paid on `at`; returns the note #1's uuid."""

    def make(tenant, user, *, carrier_title="Correo", at=None, txn="ch_1", **changes):
        with app.app_context(), tenant_scope(tenant.id):
            carrier = db.session.scalar(
                select(ShippingCarrier).where(ShippingCarrier.title == carrier_title)
            ) or add_carrier(tenant, title=carrier_title)
            order = physical_order(tenant, user, carrier)
            [note] = db.session.scalars(
                select(ShippingNote).where(
                    ShippingNote.payment_id == pay(order, txn=txn, at=at or NOW).id
                )
            )
            for key, value in changes.items():
                setattr(note, key, value)
            db.session.commit()
            return str(note.uuid)

    return make


NOW = datetime(2025, 3, 10, 9, tzinfo=UTC)


def note_row(app, tenant, uuid) -> ShippingNote:
    with app.app_context(), tenant_scope(tenant.id):
        return shipping_notes.get_note(tenant.id, uuid)


def put(client, path, data, headers=None):
    token = client.csrf(URL)
    merged = {"Host": client.host, "X-CSRFToken": token, **HTMX, **(headers or {})}
    return client.client.put(path, data=data, headers=merged)


def post(client, path, data=None, headers=None):
    token = client.csrf(URL)
    return client.post(path, data={"csrf_token": token, **(data or {})}, headers=headers)


# -- the table --------------------------------------------------------------------------------


def test_page_and_fragment(admin, alpha, reader, make_note):
    uuid = make_note(alpha, reader)
    page = admin.get(URL)
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    html = text(page)
    assert "<html" in html and 'hx-push-url="true"' in html
    assert f'id="note-{uuid}"' in html and "#1/1" in html and "ana@example.com" in html
    assert "AR-B · La Plata" in html and "2025-03-10" in html
    assert f'hx-put="/dashboard/shipping-notes/{uuid}/status"' in html
    fragment = text(admin.get(URL, headers=HTMX))
    assert fragment.startswith('<div id="shipping-notes"') and "<html" not in fragment


def test_filters_narrow_the_table(admin, alpha, reader, make_user, make_note):
    first = make_note(alpha, reader, tracking_code="TRK-77")
    other = make_user(tenant=alpha, email="bruno@example.com")
    second = make_note(alpha, other, carrier_title="Moto", txn="ch_2", status="shipped")
    assert second in text(admin.get(f"{URL}?status=shipped", headers=HTMX))
    assert first not in text(admin.get(f"{URL}?status=shipped", headers=HTMX))
    both = text(admin.get(f"{URL}?status=shipped&status=order-generated", headers=HTMX))
    assert first in both and second in both
    assert text(admin.get(f"{URL}?q=TRK-77", headers=HTMX)).count('id="note-') == 1
    assert second in text(admin.get(f"{URL}?q=BRUNO@", headers=HTMX))
    with_carrier = admin.get(URL)
    moto = next(
        line.split('"')[1]
        for line in text(with_carrier).split("<option value=")
        if line.split(">")[1].startswith("Moto")
    )
    only_moto = text(admin.get(f"{URL}?carrier={moto}", headers=HTMX))
    assert second in only_moto and first not in only_moto
    assert "No shipping notes match." in text(admin.get(f"{URL}?due_from=2025-04-01"))
    assert "No shipping notes match." in text(admin.get(f"{URL}?shipment=2"))


@pytest.mark.parametrize(
    "query", ["status=lost", "after=%25%25%25", "due_from=yesterday", "shipment=13", "carrier=x"]
)
def test_bad_filters_answer_400(admin, query):
    assert admin.get(f"{URL}?{query}").status_code == 400


def test_keyset_pages_of_25(admin, alpha, reader, make_note):
    made = [
        make_note(alpha, reader, txn=f"ch_{n}", at=datetime(2025, 1, 1 + n, tzinfo=UTC))
        for n in range(27)
    ]
    first = text(admin.get(URL))
    assert first.count('id="note-') == 25 and made[26] in first and made[1] not in first
    older = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = text(admin.get(older, headers=HTMX))
    assert second.count('id="note-') == 2 and made[0] in second and made[1] in second
    assert "Latest" in second and 'rel="next"' not in second


# -- status changes (acceptance 59) -------------------------------------------------------------


def test_inline_status_change_answers_the_row_with_a_toast(app, admin, alpha, reader, make_note):
    uuid = make_note(alpha, reader)
    response = put(admin, f"{URL}/{uuid}/status", {"status": "preparing"})
    assert response.status_code == 200
    row = text(response)
    assert row.startswith(f'<tr id="note-{uuid}"') and 'data-status="preparing"' in row
    toast = json.loads(response.headers["HX-Trigger"])["toast"]
    assert toast["message"] == "Status: Preparing."
    assert note_row(app, alpha, uuid).status == "preparing"
    with app.app_context():
        [entry] = db.session.scalars(
            select(Activity).where(Activity.action == "shipping_note.status_changed")
        )
        assert (entry.before, entry.after) == (
            {"status": "order-generated"},
            {"status": "preparing"},
        )
        assert entry.subject_id == uuid and entry.actor_label != "system"


def test_invalid_status_answers_422_and_changes_nothing(app, admin, alpha, reader, make_note):
    uuid = make_note(alpha, reader)
    response = put(admin, f"{URL}/{uuid}/status", {"status": "lost"})
    assert response.status_code == 422
    row = text(response)
    assert row.startswith(f'<tr id="note-{uuid}"') and 'role="alert"' in row
    assert 'data-status="order-generated"' in row
    assert note_row(app, alpha, uuid).status == "order-generated"


def test_status_form_of_the_note_page_works_without_javascript(
    app, admin, alpha, reader, make_note
):
    uuid = make_note(alpha, reader)
    response = post(admin, f"{URL}/{uuid}/status", {"status": "delivered"})
    assert response.status_code == 303 and response.headers["Location"] == f"{URL}/{uuid}"
    assert note_row(app, alpha, uuid).status == "delivered"


def test_bulk_status_change(app, admin, alpha, reader, make_note):
    first, second = make_note(alpha, reader), make_note(alpha, reader, txn="ch_2")
    refused = post(admin, f"{URL}/bulk-status", {"notes": [first], "status": "lost"}, HTMX)
    assert refused.status_code == 422 and 'id="bulk-error"' in text(refused)
    chosen = {"notes": [first, second], "status": "shipped"}
    response = post(admin, f"{URL}/bulk-status?status=order-generated", chosen, HTMX)
    assert response.status_code == 200
    assert location_path(response) == f"{URL}?status=order-generated"
    assert note_row(app, alpha, first).status == note_row(app, alpha, second).status == "shipped"


# -- tenancy, gates, export (acceptance 58, 60) -----------------------------------------------


def test_another_stores_note_answers_404(admin, beta, make_user, make_note):
    uuid = make_note(beta, make_user(tenant=beta))
    assert admin.get(f"{URL}/{uuid}").status_code == 404
    assert put(admin, f"{URL}/{uuid}/status", {"status": "shipped"}).status_code == 404
    assert post(admin, f"{URL}/{uuid}/delete").status_code == 404
    assert post(admin, f"{URL}/{uuid}/tracking", {"tracking_code": "X"}).status_code == 404
    assert uuid not in text(admin.get(URL))
    assert uuid not in text(admin.get(f"{URL}/export.csv"))
    bulk = post(admin, f"{URL}/bulk-status", {"notes": [uuid], "status": "shipped"}, HTMX)
    assert bulk.status_code == 404


def test_without_physical_goods_every_page_answers_403(app, alpha, admin, reader, make_note):
    uuid = make_note(alpha, reader)
    with in_platform(app):
        plan = db.session.get(PlatformPlan, alpha.platform_plan)
        grants.remove_grant(ACTOR, plan, definitions.find_feature("physicals_goods"))
    for path in (URL, f"{URL}/export.csv", f"{URL}/{uuid}", "/dashboard/settings/shipping"):
        assert admin.get(path).status_code == 403, path
    assert admin.get(URL, headers=HTMX).status_code == 403
    assert put(admin, f"{URL}/{uuid}/status", {"status": "shipped"}).status_code == 403
    assert note_row(app, alpha, uuid).status == "order-generated"


def test_reader_is_refused(alpha, reader, signed_in):
    client = signed_in(host_of(alpha), reader.email)
    assert client.get(URL).status_code == 403


def test_export_streams_the_filtered_rows_and_neutralises_formulas(admin, alpha, reader, make_note):
    first = make_note(alpha, reader, tracking_code="=cmd()")
    second = make_note(alpha, reader, txn="ch_2", status="shipped")
    response = admin.get(f"{URL}/export.csv?status=order-generated")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(text(response))))
    assert rows[0][:5] == ["note", "shipment", "period_length", "due_on", "status"]
    assert [r[0] for r in rows[1:]] == [first]
    assert rows[1][10] == "'=cmd()" and second not in text(response)


# -- one note -------------------------------------------------------------------------------


def test_note_page_and_fragment(admin, alpha, reader, make_note):
    uuid = make_note(alpha, reader)
    page = text(admin.get(f"{URL}/{uuid}"))
    assert "<html" in page and "Shipment 1 of 1" in page and "La Plata" in page
    fragment = text(admin.get(f"{URL}/{uuid}", headers=HTMX))
    assert fragment.startswith('<div id="shipping-note"') and "<html" not in fragment


def test_tracking_and_recipient_edits(app, admin, alpha, reader, make_note):
    uuid = make_note(alpha, reader)
    bad = post(admin, f"{URL}/{uuid}/tracking", {"tracking_url": "ftp://x"}, HTMX)
    assert bad.status_code == 422 and text(bad).startswith('<div id="shipping-note"')
    tracking = {"tracking_code": "AB1", "tracking_url": "https://t.example/AB1"}
    saved = post(admin, f"{URL}/{uuid}/tracking", tracking, HTMX)
    assert saved.status_code == 200 and location_path(saved) == f"{URL}/{uuid}"
    fields = {"name": "Ana R.", "line1": "Calle 8", "city": "Tandil", "country": "AR"}
    assert post(admin, f"{URL}/{uuid}/snapshot", fields, HTMX).status_code == 200
    missing = post(admin, f"{URL}/{uuid}/snapshot", {**fields, "city": ""}, HTMX)
    assert missing.status_code == 422 and "is required" in text(missing)
    note = note_row(app, alpha, uuid)
    assert note.tracking_code == "AB1"
    assert note.shipping_information["address"]["city"] == "Tandil"
    assert note.shipping_information["recipient"]["name"] == "Ana R."


def test_delete_and_restore(app, admin, alpha, reader, make_note):
    uuid = make_note(alpha, reader)
    assert post(admin, f"{URL}/{uuid}/delete").status_code == 303
    assert uuid not in text(admin.get(URL))
    shown = text(admin.get(f"{URL}?deleted=y"))
    assert uuid in shown and 'class="deleted-row"' in shown
    assert "Restore note" in text(admin.get(f"{URL}/{uuid}"))
    assert post(admin, f"{URL}/{uuid}/restore").status_code == 303
    assert note_row(app, alpha, uuid).deleted_at is None
    assert uuid in text(admin.get(URL))


# -- carriers ---------------------------------------------------------------------------------


def test_carriers_create_edit_and_remove(app, admin, alpha):
    settings = "/dashboard/settings/shipping"
    page = text(admin.get(settings))
    assert "<html" in page and "No carriers yet." in page
    form = {"type": "warehouse", "title": "Depot", "price_USD": "2.5", "position": "0"}
    refused = post(admin, f"{settings}/new", form, HTMX)
    assert refused.status_code == 422 and "needs its address" in text(refused)
    form["address"] = "Main St 1, 9-18h"
    bad_price = post(admin, f"{settings}/new", {**form, "price_USD": "2.555"}, HTMX)
    assert bad_price.status_code == 422 and "at most 2 decimals" in text(bad_price)
    created = post(admin, f"{settings}/new", form, HTMX)
    assert created.status_code == 200 and location_path(created) == settings
    listed = text(admin.get(settings, headers=HTMX))
    assert listed.startswith('<div id="shipping-carriers"') and "USD 2.50" in listed
    with app.app_context(), tenant_scope(alpha.id):
        carrier_uuid = str(db.session.scalar(select(ShippingCarrier.uuid)))
    edit = text(admin.get(f"{settings}/{carrier_uuid}"))
    assert 'value="2.50"' in edit and "Depot" in edit
    removed = post(admin, f"{settings}/{carrier_uuid}/remove", {}, HTMX)
    assert json.loads(removed.headers["HX-Trigger"])["toast"]["message"] == "Carrier deleted."
    assert "No carriers yet." in text(admin.get(settings))
