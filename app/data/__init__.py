"""Reference data embedded in the code: small lists the product validates against."""
