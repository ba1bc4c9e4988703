"""The crawler gate on request signals (spec 20 §7, acceptance 15-18)."""

import hashlib
import hmac
import logging
import uuid

import pytest

from services.features import crawler
from services.features.crawler import (
    RequestSignals,
    custom_app_header_value,
    custom_app_token,
    parse_secrets,
)

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/138.0.0.0 Safari/537.36"
)
READER_APP = (
    "MyReaderApp/2.3 (Android 14)"  # crawlerdetect flags it; the custom-app header exists for it
)
NEW_SECRET = "new-secret-2025"
OLD_SECRET = "old-secret-2024"
SECRETS = (NEW_SECRET, OLD_SECRET)
TENANT_A = "3f2b8c1e-6d4a-4e8b-9c2f-1a2b3c4d5e6f"
TENANT_B = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"

_real_detect = crawler.detect


@pytest.fixture(autouse=True)
def _empty_detect_memo():
    _real_detect.cache_clear()
    yield
    _real_detect.cache_clear()


@pytest.fixture
def detect_calls(monkeypatch):
    """Counts calls into the module's detect() (the memoised detector entry point)."""
    calls = []

    def counting(user_agent):
        calls.append(user_agent)
        return _real_detect(user_agent)

    monkeypatch.setattr(crawler, "detect", counting)
    return calls


class CountingDetector:
    """Wraps the real CrawlerDetect and counts isCrawler calls."""

    def __init__(self, real):
        self.real = real
        self.calls = 0

    def isCrawler(self, user_agent):  # noqa: N802 - crawlerdetect's own name
        self.calls += 1
        return self.real.isCrawler(user_agent)


def signals(user_agent=CHROME, bypass=None, custom_app=None, tenant=TENANT_A, secrets=SECRETS):
    return RequestSignals(
        user_agent=user_agent,
        bypass_header=bypass,
        custom_app_header=custom_app,
        tenant_uuid=tenant,
        secrets=secrets,
    )


# -- User-Agent rules -----------------------------------------------------------------------------


def test_googlebot_is_a_crawler():
    assert signals(GOOGLEBOT).is_crawler is True


def test_current_chrome_desktop_is_not_a_crawler():
    assert signals(CHROME).is_crawler is False


@pytest.mark.parametrize("user_agent", [None, "", "   \t "], ids=["missing", "empty", "blank"])
def test_missing_or_blank_user_agent_is_a_crawler_without_running_detection(
    user_agent, detect_calls
):
    assert signals(user_agent).is_crawler is True
    assert detect_calls == []


def test_user_agent_over_1024_chars_is_a_crawler_without_running_detection(detect_calls):
    at_limit = CHROME + " " + "a" * (1024 - len(CHROME) - 1)
    assert len(at_limit) == 1024
    assert signals(at_limit).is_crawler is False
    assert signals(at_limit + "a").is_crawler is True
    assert detect_calls == [at_limit]


# -- X-Bypass-Crawler-Detection -------------------------------------------------------------------


@pytest.mark.parametrize("secret", SECRETS, ids=["newest", "older"])
def test_bypass_header_with_a_configured_secret_lets_googlebot_through(secret):
    assert signals(GOOGLEBOT, bypass=secret).is_crawler is False


def test_bypass_header_also_lets_a_missing_user_agent_through():
    assert signals(None, bypass=NEW_SECRET).is_crawler is False


@pytest.mark.parametrize(
    "value",
    ["wrong", "", NEW_SECRET + "x", NEW_SECRET[:-1], f"{NEW_SECRET},{OLD_SECRET}", "sécret-ü"],
)
def test_wrong_bypass_value_is_still_a_crawler(value):
    assert signals(GOOGLEBOT, bypass=value).is_crawler is True


def test_bypass_header_without_configured_secrets_is_still_a_crawler():
    assert signals(GOOGLEBOT, bypass=NEW_SECRET, secrets=()).is_crawler is True
    assert signals(GOOGLEBOT, bypass="", secrets=parse_secrets(" , ")).is_crawler is True


# -- X-Custom-App-Tenant-Id -----------------------------------------------------------------------


def test_custom_app_token_is_the_truncated_hmac_of_the_tenant_uuid():
    expected = hmac.new(
        NEW_SECRET.encode(), f"custom-app:{TENANT_A}".encode(), hashlib.sha256
    ).hexdigest()[:32]
    assert custom_app_token(NEW_SECRET, TENANT_A) == expected
    assert custom_app_token(NEW_SECRET, TENANT_A.upper()) == expected
    assert custom_app_token(NEW_SECRET, uuid.UUID(TENANT_A)) == expected
    assert custom_app_token(OLD_SECRET, TENANT_A) != expected
    assert custom_app_token(NEW_SECRET, TENANT_B) != expected
    assert custom_app_header_value(NEW_SECRET, TENANT_A) == f"{TENANT_A}:{expected}"


def test_custom_app_header_of_the_current_tenant_is_not_a_crawler():
    assert signals(READER_APP).is_crawler is True
    header = custom_app_header_value(NEW_SECRET, TENANT_A)
    assert signals(READER_APP, custom_app=header, tenant=TENANT_A).is_crawler is False
    assert signals(GOOGLEBOT, custom_app=header, tenant=uuid.UUID(TENANT_A)).is_crawler is False


def test_custom_app_header_of_another_tenant_is_a_crawler():
    header = custom_app_header_value(NEW_SECRET, TENANT_A)
    assert signals(READER_APP, custom_app=header, tenant=TENANT_B).is_crawler is True
    assert signals(READER_APP, custom_app=header, tenant=None).is_crawler is True
    # B's own token under A's uuid: the uuid must name the current tenant, not just the token.
    mixed = f"{TENANT_A}:{custom_app_token(NEW_SECRET, TENANT_B)}"
    assert signals(READER_APP, custom_app=mixed, tenant=TENANT_B).is_crawler is True


def test_custom_app_token_from_the_older_secret_still_validates():
    header = custom_app_header_value(OLD_SECRET, TENANT_A)
    assert signals(READER_APP, custom_app=header).is_crawler is False
    assert signals(READER_APP, custom_app=header, secrets=(NEW_SECRET,)).is_crawler is True


def test_custom_app_header_uuid_is_compared_in_canonical_form():
    token = custom_app_token(NEW_SECRET, TENANT_A)
    assert signals(READER_APP, custom_app=f"{TENANT_A.upper()}:{token}").is_crawler is False


def test_custom_app_header_without_configured_secrets_is_a_crawler():
    header = custom_app_header_value(NEW_SECRET, TENANT_A)
    assert signals(READER_APP, custom_app=header, secrets=()).is_crawler is True


_TOKEN_A = custom_app_token(NEW_SECRET, TENANT_A)


@pytest.mark.parametrize(
    "value",
    [
        "abc",
        TENANT_A,  # uuid without colon or token
        TENANT_A + _TOKEN_A,
        ":",
        "",
        f"{TENANT_A}:",
        f":{_TOKEN_A}",
        f"{TENANT_A}:{_TOKEN_A}:extra",
        f"urn:uuid:{TENANT_A}:{_TOKEN_A}",
        f"not-a-uuid:{_TOKEN_A}",
        f"{TENANT_A}:{_TOKEN_A[:-1]}",
        f"{TENANT_A}:{NEW_SECRET}",
        f"{TENANT_A}:tökén",
        f"ü{TENANT_A}:{_TOKEN_A}",
    ],
)
def test_malformed_custom_app_header_is_a_crawler_without_raising(value):
    assert signals(READER_APP, custom_app=value).is_crawler is True


def test_rejected_headers_are_logged_at_debug_without_the_secret_or_the_value(caplog):
    header = custom_app_header_value(NEW_SECRET, TENANT_A)
    with caplog.at_level(logging.DEBUG, "features.crawler"):
        assert signals(GOOGLEBOT, bypass="guess-1", custom_app=header, tenant=TENANT_B).is_crawler
    messages = [record.getMessage() for record in caplog.records]
    assert any("X-Bypass-Crawler-Detection" in message for message in messages)
    assert any("X-Custom-App-Tenant-Id" in message for message in messages)
    for secret_ish in (NEW_SECRET, OLD_SECRET, "guess-1", header, _TOKEN_A, TENANT_A):
        assert secret_ish not in caplog.text


def test_repr_never_shows_secrets_or_header_values():
    text = repr(
        signals(
            GOOGLEBOT, bypass=NEW_SECRET, custom_app=custom_app_header_value(OLD_SECRET, TENANT_A)
        )
    )
    assert "Googlebot" in text
    for hidden in (NEW_SECRET, OLD_SECRET, custom_app_token(OLD_SECRET, TENANT_A)):
        assert hidden not in text


# -- memoisation ----------------------------------------------------------------------------------


def test_is_crawler_is_computed_once_per_signals_object(detect_calls):
    request = signals(GOOGLEBOT)
    assert [request.is_crawler, request.is_crawler, request.is_crawler] == [True, True, True]
    assert detect_calls == [GOOGLEBOT]


def test_signals_stay_frozen():
    request = signals(GOOGLEBOT)
    assert request.is_crawler is True
    with pytest.raises(AttributeError):
        request.user_agent = CHROME


def test_the_same_user_agent_runs_crawlerdetect_once_across_requests(monkeypatch):
    counting = CountingDetector(crawler._detector)
    monkeypatch.setattr(crawler, "_detector", counting)
    assert signals(CHROME).is_crawler is False
    assert signals(CHROME).is_crawler is False
    assert signals(f"  {CHROME} ").is_crawler is False
    assert counting.calls == 1
    assert signals(GOOGLEBOT).is_crawler is True
    assert counting.calls == 2


def test_the_user_agent_memo_holds_4096_entries():
    assert _real_detect.cache_info().maxsize == 4096


# -- secrets --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" a , ,b ", ("a", "b")),
        ("newest,older,oldest", ("newest", "older", "oldest")),
        ("only", ("only",)),
        (None, ()),
        ("", ()),
        (" , ,", ()),
    ],
)
def test_parse_secrets(raw, expected):
    assert parse_secrets(raw) == expected
