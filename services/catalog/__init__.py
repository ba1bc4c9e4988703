"""The catalogue: publications, their prices, contributors and terms, shares and the marketplace,
and the one place that reads publications across tenants (spec 70 §1)."""

from services.catalog import publications  # noqa: F401 - registers the issues_limit usage
from services.catalog.scope import catalog_reads, visible_publication, visible_publications

__all__ = ["catalog_reads", "visible_publication", "visible_publications"]
