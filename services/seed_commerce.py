"""Demo commerce for `seed-demo`: per tenant its gateways, plans, carrier and readers, then 18
months of orders (every status, renewals, refunds, a dispute, shipping, a bulk import, manual,
LTI, SAML and external grants), all through create_order and record_payment. A tenant that
already has orders is left alone."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models.base import utcnow
from app.models.catalog import Publication, PublicationPrice
from app.models.commerce import BulkImport, BulkImportRow, Order, Plan, PlanPrice
from app.models.gateways import Gateway
from app.models.tenancy import Tenant
from services import activity, dispatch, features, mail, plans, shipping_carriers, users
from services.ledger import PaymentEvent, PaymentPart, record_payment
from services.orders import LineDraft
from services.seed_commerce_data import (
    CARRIER,
    CARRIER_PRICE,
    COUNTS,
    GATEWAYS,
    PLANS,
    PRICES,
    SANDBOX_DAYS,
    SMALL_COUNTS,
    Story,
    generate,
    reader_emails,
)
from services.seed_commerce_stories import WRITERS, Shop, new_order
from services.tenancy.context import tenant_scope

PHYSICAL_FEATURE = "physicals_goods"
EXTERNAL_FEATURE = "create_external_plans"
PHYSICAL_TENANTS = ("demo",)  # spec 30 §11: `demo` sells physical goods


def seed_tenants(actor: activity.Actor, tenants: list[Tenant]) -> list[bool]:
    """The commerce demo of each tenant; True where this run wrote it. DEMO_HISTORY=small
    (the tests' setting) writes a few orders of each kind instead of hundreds."""
    from flask import current_app

    small = current_app.config.get("DEMO_HISTORY") == "small"
    counts = SMALL_COUNTS if small else COUNTS
    return [seed_tenant(actor, tenant.id, counts) for tenant in tenants]


def seed_tenant(actor: activity.Actor, tenant_id: int, counts: dict | None = None) -> bool:
    """The commerce demo of one tenant, unless it already has orders (`counts`: how many
    readers and orders of each kind, COUNTS by default; tests pass or patch in fewer)."""
    counts = counts or COUNTS
    tenant = db.session.get(Tenant, tenant_id)
    with tenant_scope(tenant_id):
        if db.session.scalar(select(Order.id).where(Order.tenant_id == tenant_id).limit(1)):
            return False
        shop = _shop(actor, tenant, counts)
        for story in generate(tenant.slug, shop.now, shop.carrier is not None, counts):
            WRITERS[story.kind](shop, story)
            _no_receipts()
        _grants(shop, counts)
        _no_receipts()
        db.session.flush()
    return True


def _no_receipts() -> None:
    """Drop the receipts the ledger queued for the back-dated history: the demo readers are
    not mailed for purchases that never happened (and thousands would flood the outbox)."""
    pending = db.session.info.get(dispatch.PENDING)
    if pending:
        pending[:] = [entry for entry in pending if entry[0] != mail.SEND_MAIL]


def _shop(actor: activity.Actor, tenant: Tenant, counts: dict) -> Shop:
    physical = tenant.slug in PHYSICAL_TENANTS or features.enabled(tenant.id, PHYSICAL_FEATURE)
    admin = users.find_by_email(f"admin@{tenant.slug}.example")
    shop = Shop(
        tenant=tenant,
        actor=actor,
        now=utcnow(),
        admin_id=admin.id if admin else None,
        readers=_readers(actor, tenant, counts["readers"]),
        plans=_plans(actor, tenant, physical),
        gateways=_gateways(tenant),
        publications=_publications(tenant),
        rng=random.Random(f"transactions:{tenant.slug}"),
    )
    if physical:
        shop.carrier = shipping_carriers.create_carrier(
            actor,
            tenant.id,
            shipping_carriers.CarrierInput(
                type="delivery",
                title=CARRIER,
                prices={tenant.default_currency: CARRIER_PRICE[tenant.default_currency]},
            ),
        )
    return shop


def _readers(actor: activity.Actor, tenant: Tenant, count: int) -> list[tuple[int, str]]:
    made = []
    for email, name in reader_emails(tenant.slug, count):
        user = users.find_by_email(email) or users.create_user(
            actor, tenant.id, email=email, name=name, role="reader"
        )
        made.append((user.id, user.email))
    return made


def _plans(actor: activity.Actor, tenant: Tenant, physical: bool) -> dict[str, Plan]:
    """Through the plans service where the platform plan allows the kind; otherwise (physical
    or external without the feature) as rows, which the pages hide until the feature returns."""
    made = {}
    for key, (name, fields) in PLANS.items():
        if key == "physical" and not physical:
            continue
        prices = {tenant.default_currency: PRICES[key][tenant.default_currency]}
        feature = {"physical": PHYSICAL_FEATURE, "external": EXTERNAL_FEATURE}.get(key)
        if feature is None or features.enabled(tenant.id, feature):
            made[key] = plans.create_plan(actor, tenant.id, name=name, prices=prices, **fields)
            continue
        plan = Plan(tenant_id=tenant.id, name=name, **fields)
        plan.prices = [PlanPrice(tenant_id=tenant.id, currency=c, amount_minor=a)
                       for c, a in prices.items()]  # fmt: skip
        db.session.add(plan)
        db.session.flush()
        made[key] = plan
    return made


def _gateways(tenant: Tenant) -> dict[tuple[str, bool], int]:
    """The sandbox rows the demo runs on, and the live rows the older history went through
    (removed since: an order's `sandbox` comes from its gateway, and reports skip sandbox)."""
    found = {}
    for position, kind in enumerate(GATEWAYS):
        for sandbox in (False, True):
            row = Gateway(
                tenant_id=tenant.id,
                type=kind,
                order=position,
                environment="sandbox" if sandbox else "live",
                supported_currencies=[tenant.default_currency],
                credentials="",
                deleted_at=None if sandbox else utcnow() - timedelta(days=SANDBOX_DAYS),
            )
            db.session.add(row)
            db.session.flush()
            found[(kind, sandbox)] = row.id
    return found


def _publications(tenant: Tenant) -> list[tuple[int, int]]:
    """Priced publications the tenant owns, with their price in its currency."""
    query = (
        select(Publication.id, PublicationPrice.amount_minor)
        .join(PublicationPrice, PublicationPrice.publication_id == Publication.id)
        .where(
            Publication.tenant_id == tenant.id,
            PublicationPrice.tenant_id == tenant.id,
            PublicationPrice.currency == tenant.default_currency,
        )
        .order_by(Publication.id)
    )
    return [(pid, price) for pid, price in db.session.execute(query)]


def _story(shop: Shop, kind: str, index: int, days_ago: int) -> Story:
    return Story(kind, shop.now - timedelta(days=days_ago, hours=index), index % len(shop.readers))


def _grant(shop: Shop, story: Story, source: str, key: str = "prepaid", **draft):
    line = LineDraft(user_id=shop.readers[story.reader][0], plan_id=shop.plans[key].id)
    return new_order(shop, story, (line,), gateway_type=source, **draft)


def _grants(shop: Shop, counts: dict) -> None:
    """Orders that do not come from a gateway: a bulk import, manual, LTI, SAML, external."""
    for index in range(counts["manual"]):
        story = _story(shop, "manual", index, 40 + 70 * index)
        _grant(shop, story, "manual", "monthly" if index % 2 else "prepaid",
               created_by_id=shop.admin_id)  # fmt: skip
    _grant(shop, _story(shop, "lti", 7, 95), "lti", external_reference="lti:course-hist-101")
    _grant(shop, _story(shop, "saml", 11, 63), "saml", external_reference="saml:campus-north")
    _bulk_import(shop, counts["bulk"])
    _external(shop)


def _bulk_import(shop: Shop, count: int) -> None:
    """A finished CSV import: its created rows' orders, one duplicate and one bad e-mail."""
    started = shop.now - timedelta(days=150)
    plan = shop.plans["prepaid"]
    row = BulkImport(
        tenant_id=shop.tenant.id, created_by_id=shop.admin_id, filename="spring-cohort.csv",
        file_sha256=hashlib.sha256(f"spring-cohort:{shop.tenant.slug}".encode()).hexdigest(),
        status="completed", total_rows=count + 2, processed_rows=count + 2, created_count=count,
        skipped_count=1, invalid_count=1, started_at=started,
        finished_at=started + timedelta(seconds=4), created_at=started,
    )  # fmt: skip
    db.session.add(row)
    db.session.flush()
    for index in range(count):
        story = Story("bulk", started + timedelta(seconds=index), (index * 7) % len(shop.readers))
        order = _grant(shop, story, "bulk", bulk_import_id=row.id, created_by_id=shop.admin_id)
        email = shop.readers[story.reader][1]
        _import_row(row, index + 1, email, str(plan.uuid), "created", None, order.id)
    _import_row(row, count + 1, shop.readers[0][1], str(plan.uuid), "skipped", "duplicate_in_file")
    _import_row(row, count + 2, "not-an-email", str(plan.uuid), "invalid", "invalid_email")


def _import_row(row, number, email, target, outcome, reason, order_id=None) -> None:
    db.session.add(
        BulkImportRow(
            tenant_id=row.tenant_id, import_id=row.id, row_number=number, email=email,
            target_uuid=target, outcome=outcome, reason=reason, order_id=order_id,
            raw={"email": email, "plan": target},
        )
    )  # fmt: skip


def _external(shop: Shop) -> None:
    """An institution's licence recorded by the admin, and the row PaymentSync writes for it."""
    story = _story(shop, "external", 3, 200)
    plan = shop.plans["external"]
    price = plan.prices[0].amount_minor
    line = LineDraft(user_id=shop.readers[story.reader][0], plan_id=plan.id, price_minor=price)
    order = new_order(
        shop, story, (line,), gateway_type="external", amount_minor=price,
        external_reference="INV-2025-0042", created_by_id=shop.admin_id,
    )  # fmt: skip
    record_payment(
        PaymentEvent(
            tenant_id=order.tenant_id, order_id=order.id, status="approved",
            currency=order.currency, parts=(PaymentPart(order.lines[0].id, price),),
            gateway_id=None, gateway_type="external",
            gateway_transaction_id=f"external-{order.uuid}", gateway_key=None,
            gateway_status=None, source="external", occurred_at=story.created + timedelta(days=1),
        )
    )  # fmt: skip
