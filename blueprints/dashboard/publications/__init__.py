"""The publications area of the control panel (spec 70 §6): the catalogue table, uploads,
metadata, shares, the marketplace, taxonomies and the home page's shelves. Its routes join
the dashboard blueprint."""

from blueprints.dashboard.publications import (  # noqa: F401
    edit,
    listing,
    marketplace,
    shares,
    shelves,
    taxonomies,
    upload,
)
