"""Reading the activity log: all of it for staff, one tenant's rows for that tenant."""

from dataclasses import dataclass

from sqlalchemy import func, select

from app.extensions import db
from app.models.activity import Activity
from app.models.tenancy import Tenant

PAGE_SIZE = 50


@dataclass
class ActivityPage:
    rows: list
    page: int
    pages: int
    total: int


def recent_activity(tenant_id: int | None, page: int = 1) -> ActivityPage:
    """Newest first; rows come with the tenant's slug (None for platform-wide rows)."""
    query = select(Activity, Tenant.slug).outerjoin(Tenant, Tenant.id == Activity.tenant_id)
    count = select(func.count(Activity.id))
    if tenant_id is not None:
        query = query.where(Activity.tenant_id == tenant_id)
        count = count.where(Activity.tenant_id == tenant_id)
    total = db.session.scalar(count) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = db.session.execute(
        query.order_by(Activity.created_at.desc(), Activity.id.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    ).all()
    return ActivityPage(list(rows), page, pages, total)
