"""The store reads commerce's entitlements (spec 30 §4.3, spec 70 §7): a manual grant makes a
paid publication readable and lists it under "my issues"; cancelling the grant takes it away."""

from __future__ import annotations

from app.extensions import db
from services import orders
from services.tenancy.context import tenant_scope
from tests.functional.conftest import host_of, text
from tests.support.commerce import ACTOR, make_order
from tests.unit.services.storefront import builders as b


def test_a_granted_publication_is_readable_until_the_grant_is_cancelled(
    app, make_user, signed_in, shop, stock
):
    user = make_user(tenant=shop)
    reader = signed_in(host_of(shop), user.email)
    with stock() as tenant_id:
        granted = b.publication(tenant_id, "Granted Atlas")
        b.price(tenant_id, granted, "USD", 999)
        other = b.publication(tenant_id, "Unbought Atlas")
        b.price(tenant_id, other, "USD", 999)
        order = make_order(tenant_id, user.id, gateway_type="manual", publication_id=granted.id)
        uuid, order_id = str(granted.uuid), order.id
    page = text(reader.get(f"/publications/{uuid}"))
    assert f'href="/publications/{uuid}/read"' in page
    mine = text(reader.get("/library/filter?my_issues=my_issues"))
    assert "Granted Atlas" in mine and "Unbought Atlas" not in mine
    with app.app_context(), tenant_scope(shop.id):
        line = db.session.get(type(order), order_id).lines[0]
        orders.cancel_line(line, ACTOR, "access revoked by the school")
        db.session.commit()
    page = text(reader.get(f"/publications/{uuid}"))
    assert f'href="/publications/{uuid}/read"' not in page
