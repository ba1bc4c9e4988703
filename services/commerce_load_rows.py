"""The rows of one synthetic order of commerce_load: the order, its line and a payment history
of exactly its quota of rows whose statuses agree with the order's status."""

from __future__ import annotations

import uuid as uuid_lib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from services.ledger_bulk import key_of_row
from services.order_state import add_months

GRANTS = ("manual", "bulk", "lti", "saml")
LINE_STATUS = {
    "approved": "approved", "paused": "paused", "pending": "pending", "error": "pending",
    "cancelled": "cancelled", "expired": "cancelled", "refunded": "cancelled",
    "dispute_lost": "cancelled",
}  # fmt: skip
ORDER_TYPE = {"external": "report", **dict.fromkeys(GRANTS, "permission")}
TXN_PREFIX = {"stripe": "ch_", "mercadopago": "mp_", "payu": "pu_", "external": "external-"}
PARTIAL_REFUND_SHARE = 0.06


@dataclass
class OrderSpec:
    index: int
    created: datetime
    user: int  # index into the load's readers
    source: str  # gateway_type
    status: str
    plan: str  # key of commerce_load.PLANS
    quota: int = 0  # payment rows to write
    partial: bool = False  # one of its charges is partly refunded
    uuid: uuid_lib.UUID = field(default_factory=uuid_lib.uuid4)
    charges: list = field(default_factory=list)  # (cycle, occurred_at) of approved charges


def _months(spec: OrderSpec) -> int:
    return 12 if spec.plan == "annual" else 1


def _gateway_key(spec: OrderSpec) -> str | None:
    if spec.source in ("stripe", "mercadopago") and spec.plan in ("monthly", "annual"):
        return f"sub_{spec.uuid.hex[:20]}"
    return None


def order_values(spec: OrderSpec, ctx: dict) -> dict:
    plan = ctx["plans"][spec.plan]
    gateway_id, sandbox = ctx["gateways"].get(spec.source, (None, False))
    free = spec.source in GRANTS
    return {
        "uuid": spec.uuid,
        "tenant_id": ctx["tenant_id"],
        "user_id": ctx["users"][spec.user][0],
        "type": ORDER_TYPE.get(spec.source, "sale"),
        "status": spec.status,
        "gateway_type": spec.source,
        "gateway_id": gateway_id,
        "gateway_key": _gateway_key(spec),
        "sandbox": sandbox,
        "currency": ctx["currency"],
        "amount_minor": 0 if free else plan.prices[0].amount_minor,
        "coupon_id": None,
        "external_reference": f"LOAD-{spec.uuid.hex[:12]}" if spec.source == "external" else None,
        "bulk_import_id": ctx["bulk_import_id"] if spec.source == "bulk" else None,
        "created_by_id": None,
        "review_reason": None,
        "status_changed_at": spec.created,
        "created_at": spec.created,
        "updated_at": spec.created,
    }


def line_values(spec: OrderSpec, order_id: int, ctx: dict) -> dict:
    plan = ctx["plans"][spec.plan]
    status = LINE_STATUS[spec.status]
    paid = spec.status in ("approved", "paused", "refunded", "dispute_lost")
    started = spec.created if paid or spec.source in GRANTS else None
    recurring = plan.type == "recurring"
    ended = status == "cancelled"
    refund_status = "refunded" if spec.status == "refunded" else None
    if spec.partial:
        refund_status = "partially_refunded"
    return {
        "uuid": uuid_lib.uuid4(),
        "tenant_id": ctx["tenant_id"],
        "order_id": order_id,
        "user_id": ctx["users"][spec.user][0],
        "plan_id": plan.id,
        "publication_id": None,
        "gateway_type": spec.source,
        "kind": plan.type,
        "status": status,
        "refund_status": refund_status,
        "price_minor": 0 if spec.source in GRANTS else plan.prices[0].amount_minor,
        "currency": ctx["currency"],
        "interval": plan.interval,
        "interval_count": plan.interval_count,
        "starts_at": started,
        "expires_at": add_months(spec.created, plan.duration_months)
        if plan.duration_months and started
        else None,
        "trial_ends_at": None,
        "current_period_end": add_months(
            spec.created, terms_since(spec.created, _months(spec), ctx["now"]) * _months(spec)
        )
        if recurring and started
        else None,
        "cancelled_at": ctx["now"] if ended else None,
        "access_until": ctx["now"] if ended else None,
        "created_at": spec.created,
        "updated_at": spec.created,
    }


def terms_since(created: datetime, months: int, now: datetime) -> int:
    """Terms of `months` begun from `created` up to `now` (the first one included)."""
    terms = 1
    while add_months(created, terms * months) <= now:
        terms += 1
    return terms


def decide_partial(spec: OrderSpec, rng) -> None:
    """Some paid orders with room for it get one partial refund."""
    room = spec.status in ("approved", "paused") and spec.quota >= 2 and spec.index
    spec.partial = bool(room) and rng.random() < PARTIAL_REFUND_SHARE


def _attempts(spec: OrderSpec, status: str, count: int, now: datetime) -> list[tuple]:
    """`count` unpaid attempts: distinct transactions, minutes apart, after creation."""
    return [
        (status, f"{spec.index}_a{n}", 1, min(spec.created + timedelta(minutes=5 * n), now))
        for n in range(count)
    ]


def _paid(spec: OrderSpec, rows: int, now: datetime, rng) -> list[tuple]:
    """Charges one term apart (as many as fit before now), the rest failed attempts."""
    natural = 1 if spec.plan == "prepaid" else terms_since(spec.created, _months(spec), now)
    charges = max(1, min(rows, natural))
    events = []
    for cycle in range(1, charges + 1):
        at = add_months(spec.created, (cycle - 1) * _months(spec))
        events.append(("approved", f"{spec.index}_{cycle}", cycle, min(at, now)))
        spec.charges.append((cycle, min(at, now)))
    for n in range(rows - charges):
        cycle, at = spec.charges[rng.randrange(charges)]
        events.append(("error", f"{spec.index}_{cycle}_e{n}", cycle, at - timedelta(hours=1)))
    return events


def _events(spec: OrderSpec, ctx: dict) -> list[tuple]:
    """(status, transaction suffix, cycle, occurred_at) of the order's rows, reversals last."""
    now, rng, quota = ctx["now"], ctx["rng"], spec.quota
    if spec.index == 0:
        return _detail_events(spec, now)
    if spec.status in ("pending", "expired"):
        return _attempts(spec, "pending", quota, now)
    if spec.status == "error":
        return _attempts(spec, "error", quota, now)
    if spec.status == "cancelled":
        last = min(spec.created + timedelta(days=1), now)
        return _attempts(spec, "pending", quota - 1, now) + [("cancelled", "c", 1, last)]
    if spec.status in ("refunded", "dispute_lost"):
        return _paid(spec, quota - 1, now, rng) + [(spec.status, "r", None, None)]
    if spec.partial:
        return _paid(spec, quota - 1, now, rng) + [("refunded", "p", None, None)]
    return _paid(spec, quota, now, rng)


def _detail_events(spec: OrderSpec, now: datetime) -> list[tuple]:
    """60 rows: 25 monthly charges each after its pending row, 6 failed attempts and 4 partial
    refunds of the latest charges."""
    events = []
    for cycle in range(1, 26):
        at = min(add_months(spec.created, cycle - 1), now)
        events.append(("pending", f"0_{cycle}", cycle, at - timedelta(minutes=2)))
        events.append(("approved", f"0_{cycle}", cycle, at))
        spec.charges.append((cycle, at))
    for n in range(6):
        cycle, at = spec.charges[4 * n + 1]
        events.append(("error", f"0_{cycle}_e{n}", cycle, at - timedelta(hours=1)))
    return events + [("refunded", f"p{n}", None, None) for n in range(4)]


def payment_rows(spec: OrderSpec, order_id: int, line_id: int, ctx: dict) -> list[dict]:
    """Exactly `spec.quota` history rows for ledger_bulk.insert_history."""
    if not spec.quota:
        return []
    plan = ctx["plans"][spec.plan]
    gateway_id, sandbox = ctx["gateways"].get(spec.source, (None, False))
    price = plan.prices[0].amount_minor
    base = {
        "tenant_id": ctx["tenant_id"],
        "order_id": order_id,
        "user_plan_id": line_id,
        "gateway_id": gateway_id,
        "gateway_type": spec.source,
        "currency": ctx["currency"],
        "gateway_key": _gateway_key(spec),
        "sandbox": sandbox,
        "line_kind": plan.type,
        "plan_type": plan.type,
        "email": ctx["users"][spec.user][1],
    }
    prefix = TXN_PREFIX.get(spec.source, "tx_")
    if spec.source == "external":
        txn = f"external-{spec.uuid}"
        return [{**base, "status": "approved", "amount_minor": price, "occurred_at": spec.created,
                 "gateway_transaction_id": txn, "recurring_cycle": 1}]  # fmt: skip
    rows, charges = [], {}
    reversals = 0
    for status, suffix, cycle, at in _events(spec, ctx):
        row = {**base, "status": status, "gateway_transaction_id": f"{prefix}{suffix}"}
        if status in ("refunded", "dispute_lost"):
            # The latest charges, newest first; a partial refund takes a quarter of one.
            target_cycle = sorted(charges)[-1 - reversals % len(charges)]
            target = charges[target_cycle]
            full = suffix == "r"
            row.update(
                amount_minor=price if full else price // 4,
                recurring_cycle=target_cycle,
                refers_to_key=key_of_row(target),
                occurred_at=min(target["occurred_at"] + timedelta(days=3), ctx["now"]),
                gateway_transaction_id=f"re_{spec.index}_{suffix}",
                gateway_key=target["gateway_key"],
            )
            reversals += 1
        else:
            row.update(amount_minor=price, recurring_cycle=cycle, occurred_at=at)
            if status == "approved":
                charges[cycle] = row
        rows.append(row)
    return rows
