"""Prices of a selling tenant in minor units of its enabled currencies (spec 70 §1.2, §1.3;
acceptance 4's own price row, 25)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Activity
from app.models.catalog import PublicationPrice
from app.models.gateways import PaymentSettings
from services import currencies
from services.catalog import prices, publications, shares, versions
from services.errors import NotFound, ValidationError
from services.tenancy import tenant_scope
from tests.unit.services.catalog.helpers import ACTOR, create


def enable(tenant, *codes: str) -> None:
    with tenant_scope(tenant.id):
        db.session.add(PaymentSettings(tenant_id=tenant.id, currencies=list(codes)))
        db.session.commit()


def test_tenant_currencies_default_to_the_tenants_currency(publisher):
    assert currencies.tenant_currencies(publisher.id) == ["USD"]
    enable(publisher, "ARS", "EUR")
    assert currencies.tenant_currencies(publisher.id) == ["ARS", "EUR"]


def test_set_prices_adds_updates_and_removes(publisher):
    enable(publisher, "USD", "EUR", "ARS")
    publication = create(publisher)
    with tenant_scope(publisher.id):
        prices.set_prices(ACTOR, publisher.id, publication.id, {"usd": 999, "EUR": 850})
        db.session.commit()
        assert prices.prices_for(publisher.id, [publication.id]) == {
            publication.id: [("EUR", 850), ("USD", 999)]
        }
        before = versions.catalog_version(publisher.id)
        prices.set_prices(ACTOR, publisher.id, publication.id, {"USD": 1099, "EUR": None})
        db.session.commit()
        assert prices.prices_for(publisher.id, [publication.id, 12345]) == {
            publication.id: [("USD", 1099)]
        }
        assert versions.catalog_version(publisher.id) != before
        prices.set_prices(ACTOR, publisher.id, publication.id, {})
        db.session.commit()
        assert prices.prices_for(publisher.id, [publication.id]) == {}
        assert (
            db.session.scalar(
                select(func.count(Activity.id)).where(Activity.action == "publication.prices")
            )
            == 3
        )


@pytest.mark.parametrize(
    "amounts",
    [{"GBP": 100}, {"USD": 0}, {"USD": -5}, {"USD": 9.99}, {"USD": True}, {"USD": "100"}],
)
def test_bad_amounts_change_nothing(publisher, amounts):
    publication = create(publisher)
    with tenant_scope(publisher.id):
        prices.set_prices(ACTOR, publisher.id, publication.id, {"USD": 500})
        with pytest.raises(ValidationError) as refused:
            prices.set_prices(ACTOR, publisher.id, publication.id, amounts)
        assert refused.value.field.startswith("price_")
        assert prices.prices_for(publisher.id, [publication.id]) == {publication.id: [("USD", 500)]}


def test_a_free_publication_takes_no_price(publisher):
    publication = create(publisher, is_free=True)
    with tenant_scope(publisher.id):
        with pytest.raises(ValidationError) as refused:
            prices.set_prices(ACTOR, publisher.id, publication.id, {"USD": 100})
        assert refused.value.field == "is_free"
        prices.set_prices(ACTOR, publisher.id, publication.id, {"USD": None})  # nothing to set
        assert db.session.scalar(select(func.count(PublicationPrice.id))) == 0


def test_a_target_prices_a_shared_item_in_its_own_rows(publisher, other):
    enable(other, "EUR")
    publication = create(publisher, "Lent", live=True)
    with tenant_scope(publisher.id):
        row = publications.owned_publication(publisher.id, publication.uuid)
        shares.share(ACTOR, publisher.id, row, other.slug)
        prices.set_prices(ACTOR, publisher.id, publication.id, {"USD": 700})
        db.session.commit()
    with tenant_scope(other.id):
        assert prices.prices_for(other.id, [publication.id]) == {}  # no row: not sold singly
        prices.set_prices(ACTOR, other.id, publication.id, {"EUR": 650})
        db.session.commit()
        assert prices.prices_for(other.id, [publication.id]) == {publication.id: [("EUR", 650)]}
    with tenant_scope(publisher.id):
        assert prices.prices_for(publisher.id, [publication.id]) == {publication.id: [("USD", 700)]}


def test_pricing_outside_the_catalogue_is_not_found(publisher, other):
    publication = create(publisher, live=True)
    with tenant_scope(other.id), pytest.raises(NotFound):
        prices.set_prices(ACTOR, other.id, publication.id, {"USD": 100})
