"""Factories that build rows through the services, so every invariant holds (factory_boy)."""

from __future__ import annotations

import secrets
from functools import lru_cache

import factory

from app.extensions import db
from app.models.tenancy import Tenant, User
from services import activity
from services.tenancy import context

ACTOR = activity.Actor(label="tests")
PASSWORD = "demo-password"


@lru_cache(maxsize=4)
def password_hash(password: str) -> str:
    from services.users import hash_password

    return hash_password(password)


class _InPlatform:
    """Runs a block in platform context (unless already there) and flushes."""

    def __enter__(self):
        self.token = None
        if context.current_scope().kind != "platform":
            self.token = context.enter_platform()

    def __exit__(self, *exc):
        if exc[0] is None:
            db.session.flush()
        if self.token is not None:
            context.reset_scope(self.token)


class TenantFactory(factory.Factory):
    """A tenant with its primary subdomain; traits: trial, suspended."""

    class Meta:
        model = Tenant

    slug = factory.Sequence(lambda n: f"t{n}-{secrets.token_hex(2)}")
    name = factory.LazyAttribute(lambda o: f"Tenant {o.slug}")
    status = "active"
    currency = "USD"
    timezone = "UTC"
    locale = "en"
    suspend_reason = None
    commit = True

    class Params:
        trial = factory.Trait(status="trial")
        suspended = factory.Trait(suspend_reason="Suspended by a test")

    @classmethod
    def _create(cls, model_class, suspend_reason=None, commit=True, **kwargs):
        from services.tenancy import tenants

        with _InPlatform():
            tenant, _ = tenants.create_tenant(ACTOR, **kwargs)
            if suspend_reason:
                tenants.suspend_tenant(ACTOR, tenant, suspend_reason)
        if commit:
            db.session.commit()
        return tenant


class UserFactory(factory.Factory):
    """A reader of `tenant` (traits: admin) or, with tenant=None, a staff member."""

    class Meta:
        model = User

    tenant = None
    email = factory.Sequence(lambda n: f"user{n}-{secrets.token_hex(2)}@example.com")
    name = factory.LazyAttribute(lambda o: o.email.split("@")[0])
    role = "reader"
    password = PASSWORD
    is_super_admin = False
    commit = True

    class Params:
        admin = factory.Trait(role="admin")
        super_admin = factory.Trait(is_super_admin=True)

    @classmethod
    def _create(cls, model_class, tenant=None, password=PASSWORD, commit=True, **kwargs):
        user = User(
            tenant_id=tenant.id if tenant is not None else None,
            email=kwargs["email"].lower(),
            name=kwargs["name"],
            role=kwargs["role"] if tenant is not None else None,
            is_staff=tenant is None,
            is_super_admin=bool(kwargs.get("is_super_admin")) and tenant is None,
            password_hash=password_hash(password) if password else None,
        )
        with _InPlatform():
            db.session.add(user)
        if commit:
            db.session.commit()
        return user
