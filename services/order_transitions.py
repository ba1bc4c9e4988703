"""Order and line changes that are not payments (spec 30 §6.4): trial start, cancel, pause,
resume and checkout expiry, under the same per-order lock and state tables as the ledger."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from app.extensions import db
from app.models.base import utcnow
from app.models.commerce import Order, Payment, UserPlan
from app.models.commerce_enums import GRANT_SOURCES, LineKind, LineStatus, OrderStatus
from services import activity
from services.catalog.versions import bump_access_after_commit
from services.errors import InvalidState, ValidationError
from services.order_state import check_line, check_order

# (action, gateway type) -> fn(order, line) that performs the action at the gateway and raises
# on failure. The gateway adapters register here (gateways issue); a gateway with no "pause"
# entry does not support pausing.
GatewayAction = Callable[[Order, UserPlan | None], None]
_gateway_actions: dict[tuple[str, str], GatewayAction] = {}


def register_gateway_action(action: str, gateway_type: str, fn: GatewayAction) -> None:
    _gateway_actions[(action, gateway_type)] = fn


def unregister_gateway_action(action: str, gateway_type: str) -> None:
    _gateway_actions.pop((action, gateway_type), None)


def _at_gateway(action: str, order: Order, line: UserPlan | None) -> None:
    fn = _gateway_actions.get((action, order.gateway_type))
    if fn is None:
        raise InvalidState(f"{order.gateway_type} cannot {action} subscriptions from here yet.")
    fn(order, line)


def _lock(order: Order) -> Order:
    from services.ledger import lock_order

    return lock_order(order.tenant_id, order.id)


def set_order_status(order: Order, to: str, actor: activity.Actor, reason: str | None = None):
    check_order(order.status, to)
    before = order.status
    order.status, order.status_changed_at = to, utcnow()
    activity.record(
        actor,
        "order.status_changed",
        "order",
        order.uuid,
        tenant_id=order.tenant_id,
        before={"status": before},
        after={"status": to, "reason": reason},
    )


def set_line_status(line: UserPlan, to: str, actor: activity.Actor, reason: str | None = None):
    check_line(line.status, to)
    before = line.status
    line.status = to
    activity.record(
        actor,
        f"user_plan.{to}",
        "user_plan",
        line.uuid,
        tenant_id=line.tenant_id,
        before={"status": before},
        after={"status": to, "reason": reason, "access_until": line.access_until},
    )
    bump_access_after_commit(line.tenant_id, line.user_id)


def _close_if_no_active_line(order: Order, actor: activity.Actor, reason: str | None) -> None:
    if order.status not in (OrderStatus.APPROVED, OrderStatus.PAUSED):
        return
    if any(line.status in (LineStatus.APPROVED, LineStatus.PAUSED) for line in order.lines):
        return
    set_order_status(order, OrderStatus.CANCELLED, actor, reason)


def _reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationError("Give a reason.", field="reason")
    if len(text) > 500:
        raise ValidationError("Keep the reason under 500 characters.", field="reason")
    return text


def cancel_line(line: UserPlan, actor: activity.Actor, reason: str, at_gateway: bool = True):
    """Spec 30 §4.3: recurring gateway lines are cancelled at the gateway first and keep
    access to the period end; everything else ends now. Never refunds."""
    reason = _reason(reason)
    order = _lock(line.order)
    db.session.refresh(line)
    check_line(line.status, LineStatus.CANCELLED)
    now = utcnow()
    recurring_gateway = line.kind == LineKind.RECURRING and order.gateway_id is not None
    if recurring_gateway and at_gateway and line.status != LineStatus.PENDING:
        _at_gateway("cancel", order, line)
    line.cancelled_at = now
    if recurring_gateway and line.current_period_end and line.current_period_end > now:
        line.access_until = line.current_period_end
    else:
        line.access_until = now
    set_line_status(line, LineStatus.CANCELLED, actor, reason)
    _close_if_no_active_line(order, actor, reason)
    return line


def cancel_order(order: Order, actor: activity.Actor, reason: str) -> Order:
    """Unpaid pending orders are cancelled outright; otherwise every active line is."""
    reason = _reason(reason)
    order = _lock(order)
    if order.status == OrderStatus.PENDING:
        has_rows = db.session.query(Payment.id).filter(Payment.order_id == order.id).first()
        if has_rows:
            raise InvalidState("This order has payment activity; cancel its lines instead.")
        for line in order.lines:
            if line.status == LineStatus.PENDING:
                line.cancelled_at = line.access_until = utcnow()
                set_line_status(line, LineStatus.CANCELLED, actor, reason)
        set_order_status(order, OrderStatus.CANCELLED, actor, reason)
        return order
    active = [ln for ln in order.lines if ln.status in (LineStatus.APPROVED, LineStatus.PAUSED)]
    if not active:
        raise InvalidState("Nothing in this order is active.")
    for line in active:
        cancel_line(line, actor, reason)
    return order


def pause(order: Order, actor: activity.Actor, reason: str | None = None) -> Order:
    order = _lock(order)
    check_order(order.status, OrderStatus.PAUSED)
    lines = [ln for ln in order.lines if ln.kind == LineKind.RECURRING]
    if not lines or order.gateway_type in GRANT_SOURCES:
        raise InvalidState("Only gateway subscriptions can be paused.")
    _at_gateway("pause", order, None)
    for line in lines:
        if line.status == LineStatus.APPROVED:
            set_line_status(line, LineStatus.PAUSED, actor, reason)
    set_order_status(order, OrderStatus.PAUSED, actor, reason)
    return order


def resume(order: Order, actor: activity.Actor, reason: str | None = None) -> Order:
    order = _lock(order)
    check_order(order.status, OrderStatus.APPROVED)
    if order.status != OrderStatus.PAUSED:
        raise InvalidState("Only a paused order can be resumed.")
    _at_gateway("resume", order, None)
    for line in order.lines:
        if line.status == LineStatus.PAUSED:
            set_line_status(line, LineStatus.APPROVED, actor, reason)
    set_order_status(order, OrderStatus.APPROVED, actor, reason)
    return order


def start_trial(line: UserPlan, trial_days: int, actor: activity.Actor) -> UserPlan:
    """The gateway confirmed a subscription with a trial: access now, no payment row yet."""
    order = _lock(line.order)
    db.session.refresh(line)
    check_line(line.status, LineStatus.APPROVED)
    now = utcnow()
    line.starts_at = line.starts_at or now
    line.trial_ends_at = line.current_period_end = now + timedelta(days=trial_days)
    set_line_status(line, LineStatus.APPROVED, actor, "trial started")
    if order.status == OrderStatus.PENDING:
        set_order_status(order, OrderStatus.APPROVED, actor, "trial started")
    return line


def expire_pending(order: Order, source: str, at: datetime | None = None) -> Order:
    """The gateway let the checkout expire: the order expires and its pending lines close."""
    actor = activity.Actor(label=f"system:{source}")
    order = _lock(order)
    check_order(order.status, OrderStatus.EXPIRED)
    for line in order.lines:
        if line.status == LineStatus.PENDING:
            line.cancelled_at = line.access_until = at or utcnow()
            set_line_status(line, LineStatus.CANCELLED, actor, "checkout expired")
    set_order_status(order, OrderStatus.EXPIRED, actor, "checkout expired")
    return order
