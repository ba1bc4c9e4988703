"""A test client bound to one host, and CSRF token extraction from rendered pages."""

from __future__ import annotations

import re

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


class HostClient:
    """Flask test client calls with a fixed Host header (the tenant comes from the host)."""

    def __init__(self, client, host: str):
        self.client = client
        self.host = host

    def _headers(self, headers):
        return {"Host": self.host, **(headers or {})}

    def get(self, path, headers=None, **kw):
        return self.client.get(path, headers=self._headers(headers), **kw)

    def post(self, path, headers=None, **kw):
        return self.client.post(path, headers=self._headers(headers), **kw)

    def csrf(self, path="/login") -> str:
        """A CSRF token for this client's session, read from a page that renders a form."""
        html = self.get(path).get_data(as_text=True)
        match = _TOKEN.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1) or match.group(2)

    def login(self, email: str, password: str = "demo-password", path="/login"):
        token = self.csrf(path)
        return self.post(path, data={"email": email, "password": password, "csrf_token": token})
