"""A tenant's storefront settings: the display mode of `/` and hiding adult content."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models.storefront import StorefrontSettings

DEFAULT_DISPLAY_MODE = "custom"


def storefront_settings(tenant_id: int) -> tuple[str, bool]:
    """(display_mode, hide_adult_content); a tenant without a row gets ("custom", False)."""
    row = db.session.execute(
        select(StorefrontSettings.display_mode, StorefrontSettings.hide_adult_content).where(
            StorefrontSettings.tenant_id == tenant_id
        )
    ).first()
    if row is None:
        return DEFAULT_DISPLAY_MODE, False
    return row.display_mode, bool(row.hide_adult_content)
