"""ORM guards of the ledger and orders (spec 30 §3.1, §5.4): frozen payment columns, no payment
deletes, immutable order fields and no new PayPal orders. The database triggers of migration
0005 repeat these checks for writes that bypass the ORM."""

from sqlalchemy import event, inspect

from app.models.commerce import PAYMENT_MUTABLE_COLUMNS, Order, Payment
from app.models.commerce_enums import GatewayType

ORDER_IMMUTABLE_COLUMNS = ("sandbox", "tenant_id", "uuid", "type")


class FrozenPaymentField(Exception):
    """A flushed payment row changed a frozen or write-once column."""


class PaymentDeleteForbidden(Exception):
    """Payment rows are never deleted; soft delete sets `deleted_at`."""


class FrozenOrderField(Exception):
    """An order's sandbox, tenant, uuid or type changed after insert."""


class RetiredGatewayType(Exception):
    """New orders may not use a retired gateway type (PayPal)."""


def _changed(obj, names) -> list[str]:
    state = inspect(obj)
    return [n for n in names if state.attrs[n].history.has_changes()]


@event.listens_for(Payment, "before_update")
def _payment_frozen(mapper, connection, target) -> None:
    names = [c.key for c in mapper.column_attrs if c.key not in PAYMENT_MUTABLE_COLUMNS]
    changed = _changed(target, names)
    if changed:
        raise FrozenPaymentField(f"payment columns are frozen: {', '.join(sorted(changed))}")


@event.listens_for(Payment, "before_delete")
def _payment_delete(mapper, connection, target) -> None:
    raise PaymentDeleteForbidden("payments are insert-only; soft delete with deleted_at")


@event.listens_for(Order, "before_update")
def _order_frozen(mapper, connection, target) -> None:
    changed = _changed(target, ORDER_IMMUTABLE_COLUMNS)
    if changed:
        raise FrozenOrderField(f"order columns are immutable: {', '.join(changed)}")


@event.listens_for(Order, "before_insert")
def _order_retired_gateway(mapper, connection, target) -> None:
    if target.gateway_type == GatewayType.PAYPAL:
        raise RetiredGatewayType("paypal orders exist for history only")
