"""The edit page's forms: built per tenant (currencies, terms), filled from the stored values,
and saved through the catalogue services."""

from __future__ import annotations

from wtforms.fields.choices import SelectChoice

from blueprints.access import actor
from blueprints.dashboard.publications.common import from_local, local_input, major, minor_amounts
from blueprints.dashboard.publications.forms import (
    EntryForm,
    PublicationForm,
    language_choices,
    price_field_name,
    with_prices,
)
from services import currencies
from services.catalog import (
    admin_list,
    bisac,
    contributors,
    entries,
    prices,
    publications,
    taxonomies,
)

METADATA = (
    "title",
    "description_html",
    "language",
    "is_free",
    "is_physical",
    "is_adult",
    "retail_licensed",
    "marketplace_listed",
    "edition_date",
)


def build(tenant, entry, publication=None):
    """The form for this item (metadata only for an owned one), its taxonomies and exponents;
    filled from the stored values on GET, from the posted ones otherwise."""
    exponents = admin_list.currency_exponents(currencies.tenant_currencies(tenant.id))
    groups = taxonomies.taxonomies_with_terms(tenant.id)
    form_class = with_prices(PublicationForm if entry.owned else EntryForm, exponents)
    form = form_class(data=initial(tenant, entry, publication, exponents))
    form.terms.choices = [
        SelectChoice(term.id, term.name, optgroup=group.name)
        for group in groups
        for term in group.terms
    ]
    if entry.owned:
        form.language.choices = language_choices()
    return form, groups, exponents


def initial(tenant, entry, publication, exponents) -> dict:
    own = dict(prices.prices_for(tenant.id, [entry.id]).get(entry.id, []))
    data = {
        "terms": taxonomies.terms_of(tenant.id, entry.id),
        "enabled": entry.enabled,
        "is_featured": entry.is_featured,
        **{
            price_field_name(code): major(own[code], exponent)
            for code, exponent in exponents.items()
            if code in own
        },
    }
    if publication is None:
        return data
    data.update({name: getattr(publication, name) for name in METADATA})
    data["audience"] = publication.audience or ""
    data["edition_prefix"] = publication.edition_prefix or ""
    data["published_at"] = local_input(publication.published_at, tenant.tzinfo)
    data["contributors"] = [
        {"name": link.contributor.name, "role": link.role} for link in publication.contributor_links
    ] or [{"name": "", "role": "author"}]
    data["bisac"] = [link.code for link in publication.bisac_links]
    return data


def save_owned(tenant, publication, form, exponents) -> None:
    """The owner's metadata, credits and codes, then what every tenant sets on its entry."""
    who = actor()
    changes = {name: form[name].data for name in METADATA}
    changes["description_html"] = changes["description_html"] or None
    changes.update(
        audience=form.audience.data or None,
        edition_prefix=(form.edition_prefix.data or "").strip() or None,
        published_at=from_local(form.published_at.data, tenant.tzinfo),
    )
    amounts = minor_amounts(form, exponents)  # a bad amount refuses before anything changes
    if changes["is_free"]:
        amounts = dict.fromkeys(amounts)  # a free publication has no prices
    publication_id = publication.id
    publications.update_publication(who, tenant.id, publication, **changes)
    contributors.set_contributors(who, tenant.id, publication, form.credits())
    bisac.set_bisacs(tenant.id, publication, form.bisac_codes(), actor=who)
    taxonomies.set_terms(who, tenant.id, publication_id, list(form.terms.data or []))
    prices.set_prices(who, tenant.id, publication_id, amounts)
    entries.set_entry_flags(
        who, tenant.id, publication_id, enabled=form.enabled.data, is_featured=form.is_featured.data
    )


def save_entry(tenant, entry, form, exponents) -> None:
    """A shared or marketplace item: only this tenant's terms, prices and entry flags."""
    who = actor()
    amounts = minor_amounts(form, exponents)
    taxonomies.set_terms(who, tenant.id, entry.id, list(form.terms.data or []))
    prices.set_prices(who, tenant.id, entry.id, amounts)
    entries.set_entry_flags(
        who, tenant.id, entry.id, enabled=form.enabled.data, is_featured=form.is_featured.data
    )
