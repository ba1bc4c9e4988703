from tests.support.commerce import approve, make_order, make_plan, refund


def test_smoke(shop):
    tenant, reader = shop
    plan = make_plan(tenant.id)
    order = make_order(tenant.id, reader.id, plan=plan)
    assert order.status == "pending"
    result = approve(order)
    assert result.outcome == "created"
    assert order.status == "approved"
    assert order.lines[0].status == "approved"
    again = approve(order)
    assert again.outcome == "duplicate"
    r = refund(order, result.created[0], 1000)
    assert r.outcome == "created"
    assert order.status == "refunded"
