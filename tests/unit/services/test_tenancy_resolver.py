"""The resolver and its two tiers (spec 10 §4-5, acceptance 13, 15, 18, 19, 22-26)."""

import json

import pytest

from app.cache import CacheError, MemoryCache
from app.extensions import cache, db
from services.tenancy import domains, invalidation, loader, tenant_scope
from services.tenancy.context import PAYLOAD_SCHEMA
from services.tenancy.resolver import domain_key, get_resolver, missing_key, payload_key
from tests.factories import ACTOR
from tests.support.counting import CountingCache, count_queries


@pytest.fixture
def counting_cache():
    original = cache.backend
    counting = CountingCache(original)
    cache.backend = counting
    yield counting
    cache.backend = original


@pytest.fixture
def acme(ctx, tenant_factory):
    return tenant_factory(slug="acme-res", name="Acme Press")


def resolve(host):
    return get_resolver().resolve_host(host)


def test_first_resolution_fills_both_tiers_then_l1_answers_alone(acme, counting_cache):
    host = "acme-res.localhost"
    assert resolve(host).id == acme.id
    assert cache.get(domain_key(host)) == str(acme.id)
    payload = json.loads(cache.get(payload_key(acme.id)))
    assert payload["schema"] == PAYLOAD_SCHEMA and payload["version"] == acme.version
    counting_cache.calls.clear()
    with count_queries() as queries:
        assert resolve(host).name == "Acme Press"
    assert queries == [] and counting_cache.calls == []
    get_resolver().l1.clear()
    with count_queries() as queries:
        assert resolve(host).id == acme.id
    assert queries == []
    assert len(counting_cache.calls) <= 2, counting_cache.calls


def test_ttls_are_random_between_700_and_1000(acme):
    resolver = get_resolver()
    tenant = resolve("acme-res.localhost")
    ttls = set()
    for _ in range(50):
        cache.delete(payload_key(acme.id))
        resolver.write_payload(tenant)
        ttl = cache.ttl(payload_key(acme.id))
        assert 700 <= ttl <= 1000
        ttls.add(ttl)
    assert len(ttls) > 1
    assert 700 <= cache.ttl(domain_key("acme-res.localhost")) <= 1000


def test_unknown_host_is_cached_negatively_until_it_is_added(acme, platform):
    host = "later.example.com"
    with count_queries() as queries:
        assert resolve(host) is None
        assert resolve(host) is None
    assert sum("FROM tenants t JOIN domains" in q for q in queries) == 1
    assert cache.get(missing_key(host)) == "1"
    domains.add_domain(ACTOR, acme, host)
    db.session.commit()
    assert resolve(host).id == acme.id


def test_untrusted_pointer_is_deleted(ctx, tenant_factory):
    a, b = tenant_factory(slug="ptr-a"), tenant_factory(slug="ptr-b")
    resolve("ptr-a.localhost")
    cache.set(domain_key("ptr-b.localhost"), str(a.id), 800)  # stale: b's host now points to a
    get_resolver().l1.clear()
    assert resolve("ptr-b.localhost").id == b.id
    assert cache.get(domain_key("ptr-b.localhost")) == str(b.id)


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_set_if_newer_refuses_an_older_payload(backend, request):
    store = MemoryCache()
    if backend == "redis":
        from app.cache import RedisCache

        store = RedisCache(request.getfixturevalue("redis_url"))
    key = "tenant:id:99"
    assert store.set_if_newer(key, json.dumps({"version": 18}), 18, 800)
    assert not store.set_if_newer(key, json.dumps({"version": 17}), 17, 800)
    assert json.loads(store.get(key))["version"] == 18
    assert store.set_if_newer(key, json.dumps({"version": 19}), 19, 800)


def test_payload_of_another_schema_is_a_miss(acme):
    resolve("acme-res.localhost")
    stale = json.loads(cache.get(payload_key(acme.id)))
    stale.update(schema=PAYLOAD_SCHEMA + 1, name="From an older deploy")
    cache.set(payload_key(acme.id), json.dumps(stale), 800)
    get_resolver().l1.clear()
    assert resolve("acme-res.localhost").name == "Acme Press"


def test_cache_failure_falls_back_to_the_database(acme, caplog):
    class Broken:
        shared_across_processes = True

        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise CacheError("down")

            return fail

    original = cache.backend
    cache.backend = Broken()
    try:
        assert resolve("acme-res.localhost").id == acme.id
        assert resolve("missing.example.org") is None
    finally:
        cache.backend = original
    assert "tenancy.cache_error" in caplog.text


def test_invalidation_runs_after_commit_and_never_on_rollback(acme, platform, monkeypatch):
    calls = []
    real = invalidation.invalidate_tenant
    monkeypatch.setattr(
        invalidation, "invalidate_tenant", lambda *a, **k: calls.append(k) or real(*a, **k)
    )
    from services.tenancy import tenants

    tenants.update_tenant(ACTOR, acme, name="Renamed")
    db.session.flush()
    assert calls == []
    db.session.rollback()
    assert calls == []
    tenants.update_tenant(ACTOR, acme, name="Renamed again")
    db.session.commit()
    assert [c["tenant_id"] for c in calls] == [acme.id]
    assert resolve("acme-res.localhost").name == "Renamed again"


def test_rename_updates_every_host_of_the_tenant(acme, platform):
    from services.tenancy import tenants

    domains.add_domain(ACTOR, acme, "books.acme.test")
    db.session.commit()
    assert resolve("books.acme.test").name == resolve("acme-res.localhost").name == "Acme Press"
    tenants.update_tenant(ACTOR, acme, name="Acme Books")
    db.session.commit()
    assert resolve("books.acme.test").name == resolve("acme-res.localhost").name == "Acme Books"


def test_removed_domain_stops_resolving(acme, platform):
    domains.add_domain(ACTOR, acme, "old.acme.test")
    db.session.commit()
    assert resolve("old.acme.test").id == acme.id
    domains.remove_domain(ACTOR, "old.acme.test")
    db.session.commit()
    assert cache.get(domain_key("old.acme.test")) is None
    assert resolve("old.acme.test") is None


def test_resolving_the_current_tenant_again_touches_nothing(acme, counting_cache):
    tenant = resolve("acme-res.localhost")
    with tenant_scope(tenant):
        counting_cache.calls.clear()
        before = loader.stats["queries"]
        with count_queries() as queries, tenant_scope(acme.id) as same:
            assert same is tenant
            assert get_resolver().resolve_host("acme-res.localhost") is tenant
        assert queries == [] and counting_cache.calls == []
        assert loader.stats["queries"] == before
