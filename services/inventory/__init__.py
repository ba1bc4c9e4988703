"""Listing the catalogue: the twelve filters, languages, search, ordering and pages of cards
(spec 70 §3)."""
