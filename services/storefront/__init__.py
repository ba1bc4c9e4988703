"""The storefront: shelves in four display modes over the inventory, cached per catalogue
version (spec 70 §4)."""
