"""Reading the activity log: all of it for staff, one tenant's rows for that tenant."""

from sqlalchemy import select

from app.models.activity import Activity
from app.models.tenancy import Tenant
from services.rows import Page, paginate


def recent_activity(tenant_id: int | None, page: int = 1) -> Page:
    """Newest first; rows come with the tenant's slug (None for platform-wide rows)."""
    query = select(Activity, Tenant.slug).outerjoin(Tenant, Tenant.id == Activity.tenant_id)
    if tenant_id is not None:
        query = query.where(Activity.tenant_id == tenant_id)
    order = (Activity.created_at.desc(), Activity.id.desc())
    return paginate(query, order, page, scalars=False)
