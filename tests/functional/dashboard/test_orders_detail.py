"""One order's page and "mark reviewed" (spec 30 §10.2, §13; acceptance 60)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Activity
from app.models.base import utcnow
from app.models.commerce import Order, ShippingCarrier, ShippingNote
from tests.functional.conftest import host_of, text
from tests.functional.dashboard.test_orders import as_store
from tests.support.commerce import approve, make_order, make_plan, make_publication, refund

URL = "/dashboard/orders"
HTMX = {"HX-Request": "true"}


@pytest.fixture
def store(make_tenant):
    return make_tenant(slug="alpha", name="Alpha Books")


@pytest.fixture
def reader(store, make_user):
    return make_user(tenant=store, email="reader@example.com")


@pytest.fixture
def admin(store, make_user, signed_in):
    """The store's signed-in admin; `.email` names the actor of its changes."""
    email = make_user(tenant=store, admin=True).email
    client = signed_in(host_of(store), email)
    client.email = email
    return client


@pytest.fixture
def sold(app, store, reader) -> dict:
    """A paid two-line order with a refund, a voided charge, a note and a review reason."""
    with as_store(app, store):
        gold = make_plan(store.id, name="Gold Plan", prices={"USD": 4000})
        book = make_publication(store.id, "Sea Atlas")
        order = make_order(store.id, reader.id, plan=gold, publication_id=book.id)
        payload = {"card": {"last4": "4242"}, "client_secret": "pi_secret_9", "id": "ch_1"}
        charge = approve(order, payload=payload).created[0]
        refund(order, charge, 1500, refund_id="re_77")
        voided = approve(order, txn="ch_2", cycle=2).created
        for row in voided:
            row.deleted_at = utcnow()
        carrier = ShippingCarrier(tenant_id=store.id, type="delivery", title="Fast Post")
        db.session.add(carrier)
        db.session.flush()
        db.session.add(
            ShippingNote(
                tenant_id=store.id,
                payment_id=charge.id,
                order_id=order.id,
                carrier_id=carrier.id,
                period_length=1,
                shipment_number=1,
                due_on=date(2024, 5, 1),
                amount_minor=300,
                currency="USD",
                shipping_information={},
                tracking_code="TRK-55",
            )
        )
        order.review_reason = "amount_mismatch"
        return {"uuid": str(order.uuid), "charge": str(charge.uuid), "voided": str(voided[0].uuid)}


def test_page_shows_header_lines_balances_ledger_notes_and_activity(admin, sold, reader):
    response = admin.get(f"{URL}/{sold['uuid']}")
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    html = text(response)
    assert "<html" in html and 'id="order-detail"' in html
    assert sold["uuid"] in html and "Gold Plan" in html and "Sea Atlas" in html
    assert f'href="/dashboard/users/{reader.uuid}/plans"' in html
    assert 'data-badge="review"' in html
    assert 'name="reason" type="hidden" value="amount_mismatch"' in html
    # Balances: 4500 approved (4000 + 500), 1500 refunded; the voided charge counts nowhere.
    total = re.search(r'id="balance-total">(.*?)</tr>', html, re.S).group(1)
    assert re.findall(r"USD [0-9.]+", total) == ["USD 45.00", "USD 15.00", "USD 0.00", "USD 30.00"]
    timeline = re.search(r'id="order-timeline">(.*?)</section>', html, re.S).group(1)
    assert timeline.count('<tr id="payment-') == 5
    assert f'<tr id="payment-{sold["voided"]}" class="deleted-row"' in timeline
    assert f'href="#payment-{sold["charge"]}"' in timeline and "re_77" in timeline
    assert "4242" not in html and "pi_secret_9" not in html and "ch_1" in timeline
    assert "Fast Post" in html and "TRK-55" in html
    activity = re.search(r'id="order-activity">(.*?)</table>', html, re.S).group(1)
    assert "order.created" in activity and "payment.recorded" in activity
    assert "/refund" not in html and "Cancel" not in html  # actions come with the webhooks issue


def test_fragment_is_the_detail_block(admin, sold):
    fragment = text(admin.get(f"{URL}/{sold['uuid']}", headers=HTMX))
    assert fragment.startswith('<div id="order-detail">') and "<html" not in fragment


def test_external_order_without_rows_says_pending_sync(admin, app, store, reader):
    with as_store(app, store):
        plan = make_plan(store.id, type="external", duration_months=12)
        uuid = str(make_order(store.id, reader.id, gateway_type="external", plan=plan).uuid)
    assert 'id="sync-pending"' in text(admin.get(f"{URL}/{uuid}"))


def test_mark_reviewed_over_htmx_clears_the_reason_with_an_activity_row(admin, sold, app, store):
    token = admin.csrf(URL)
    headers = {**HTMX, "X-CSRFToken": token}
    path = f"{URL}/{sold['uuid']}/reviewed"
    response = admin.post(path, headers=headers, data={"reason": "amount_mismatch"})
    assert response.status_code == 200
    assert f"{URL}/{sold['uuid']}" in response.headers["HX-Location"]
    with as_store(app, store):
        order = db.session.scalar(select(Order).where(Order.uuid == sold["uuid"]))
        assert order.review_reason is None
        rows = db.session.scalars(select(Activity).where(Activity.action == "order.reviewed"))
        assert [(r.subject_id, r.actor_label) for r in rows] == [(sold["uuid"], admin.email)]
    page = text(admin.get(f"{URL}/{sold['uuid']}"))
    assert "Marked as reviewed." in page and "Nothing to review" in page


def test_mark_reviewed_without_javascript_redirects(admin, sold):
    token = admin.csrf(URL)
    path = f"{URL}/{sold['uuid']}/reviewed"
    response = admin.post(path, data={"reason": "amount_mismatch", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(sold["uuid"])


def test_a_newer_review_reason_is_not_cleared_unseen(admin, sold, app, store):
    token = admin.csrf(URL)
    path = f"{URL}/{sold['uuid']}/reviewed"
    response = admin.post(path, headers={**HTMX, "X-CSRFToken": token}, data={"reason": "old"})
    assert response.status_code == 200
    with as_store(app, store):
        order = db.session.scalar(select(Order).where(Order.uuid == sold["uuid"]))
        assert order.review_reason == "amount_mismatch"
    assert "reload and look again" in text(admin.get(f"{URL}/{sold['uuid']}"))


def test_mark_reviewed_needs_the_csrf_token(admin, sold):
    path = f"{URL}/{sold['uuid']}/reviewed"
    assert admin.post(path, data={"reason": "amount_mismatch"}).status_code == 400


def test_activity_pages_alone(admin, sold):
    page = admin.get(f"{URL}/{sold['uuid']}/activity")
    assert page.status_code == 200 and "<html" in text(page) and "order.created" in text(page)
    fragment = text(admin.get(f"{URL}/{sold['uuid']}/activity?page=1", headers=HTMX))
    assert fragment.startswith('<div id="order-activity">')


def test_another_stores_order_answers_404_everywhere(admin, make_tenant, make_user, app):
    beta = make_tenant(slug="beta")
    stranger = make_user(tenant=beta)
    with as_store(app, beta):
        order = make_order(beta.id, stranger.id, gateway_type="manual")
        order.review_reason = "amount_mismatch"
        uuid = str(order.uuid)
    token = admin.csrf(URL)
    assert admin.get(f"{URL}/{uuid}").status_code == 404
    assert admin.get(f"{URL}/{uuid}", headers=HTMX).status_code == 404
    assert admin.get(f"{URL}/{uuid}/activity").status_code == 404
    response = admin.post(f"{URL}/{uuid}/reviewed", headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 404
    with as_store(app, beta):
        reason = db.session.scalar(select(Order.review_reason).where(Order.uuid == uuid))
        assert reason == "amount_mismatch"


def test_unknown_and_malformed_ids(admin):
    assert admin.get(f"{URL}/00000000-0000-4000-8000-000000000000").status_code == 404
    assert admin.get(f"{URL}/not-a-uuid").status_code == 404
