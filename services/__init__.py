"""Domain logic: plain Python that never sees the Flask request."""
