"""Demo commerce material for `seed-demo`: plans, prices, the carrier, readers and 18 months of
order stories drawn from a seeded random generator, so every tenant's history is the same on
every run (relative to the day it runs)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.order_state import add_months

READERS = 100
MONTHS = 18
SANDBOX_DAYS = 30  # orders this recent went through the sandbox gateways the demo runs on
# Stories per tenant (the physical ones only where physical goods are sold).
COUNTS = {
    "readers": READERS,
    "subscription": 80,
    "prepaid": 40,
    "single": 60,
    "pending": 20,
    "error": 8,
    "cancelled": 8,
    "expired": 6,
    "dispute": 1,
    "physical": 12,
    "bulk": 10,
    "manual": 3,
}
# Every kind at least once, for test runs (config DEMO_HISTORY=small): the whole demo seed
# then takes seconds instead of a minute.
SMALL_COUNTS = {
    "readers": 12,
    "subscription": 5,
    "prepaid": 2,
    "single": 1,
    "pending": 1,
    "error": 1,
    "cancelled": 1,
    "expired": 1,
    "dispute": 1,
    "physical": 2,
    "bulk": 2,
    "manual": 1,
}
GRANTED = ("readers", "bulk", "manual")  # not order stories: the seed writes these itself
# The first stories of a kind always end this way, so every outcome is in any history.
FIXED_REFUNDS = {"subscription": ("full", "partial"), "physical": ("partial",),
                 "prepaid": ("partial",), "single": ("full",)}  # fmt: skip
CHURN_PER_MONTH = 0.07
GATEWAYS = ("stripe", "mercadopago")
# key -> (name, plan fields); prices by currency in minor units.
PLANS = {
    "monthly": ("Monthly digital", {"type": "recurring", "interval": "month", "interval_count": 1}),
    "prepaid": ("12 months prepaid", {"type": "prepaid", "duration_months": 12}),
    "physical": (
        "Annual print + digital",
        {"type": "recurring", "interval": "year", "interval_count": 1, "physical": True},
    ),
    "external": (
        "Institutional licence",
        {"type": "external", "duration_months": 12, "private": True},
    ),
}
PRICES = {
    "monthly": {"USD": 999, "ARS": 450_000, "MXN": 17_900},
    "prepaid": {"USD": 9_900, "ARS": 4_500_000, "MXN": 179_000},
    "physical": {"USD": 14_900, "ARS": 6_900_000, "MXN": 269_000},
    "external": {"USD": 25_000, "ARS": 11_000_000, "MXN": 450_000},
}
CARRIER = "Correo Express"
CARRIER_PRICE = {"USD": "4.50", "ARS": "2500", "MXN": "85"}  # per shipment, as typed
FIRST = (
    "ana", "bruno", "carla", "diego", "elena", "felipe", "gabriela", "hugo", "ines", "joaquin",
    "laura", "mateo", "natalia", "oscar", "paula", "ramiro", "sofia", "tomas", "valeria", "zoe",
    "margaret", "oliver", "priya", "kenji", "amara", "lucas", "helena", "ivan",
)  # fmt: skip
LAST = (
    "alvarez", "benitez", "castro", "dominguez", "espinoza", "ferreira", "gomez", "herrera",
    "iglesias", "juarez", "lorenzo", "medina", "navarro", "ortega", "paredes", "quiroga",
    "romero", "salazar", "torres", "vidal", "whitfield", "okafor", "tanaka", "lindqvist",
)  # fmt: skip
CITIES = (
    ("Springfield", "US-IL", "62701", "US"),
    ("Portland", "US-OR", "97205", "US"),
    ("Rosario", "AR-S", "2000", "AR"),
    ("Guadalajara", "MX-JAL", "44100", "MX"),
)


@dataclass(frozen=True)
class Story:
    """One order's life: what it sells, where, when, and what happened to it."""

    kind: str
    created: datetime
    reader: int
    gateway: str = "stripe"
    cycles: int = 1  # approved charges (subscriptions: months paid)
    pending_first: bool = False  # a pending row before the first charge
    failed_cycle: int | None = None  # a declined attempt before this cycle's charge
    refund: str | None = None  # "full" or "partial"
    churned: bool = False  # the reader cancelled after the last paid month

    def charge_time(self, cycle: int, now: datetime) -> datetime:
        months = 12 if self.kind == "physical" else 1
        return min(add_months(self.created, (cycle - 1) * months), now)


def reader_emails(slug: str, count: int = READERS) -> list[tuple[str, str]]:
    """(email, name) of the demo readers who buy in the history."""
    rng = random.Random(f"readers:{slug}")
    people = []
    for index in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}.{index}@mail.example"
        people.append((email, f"{first.title()} {last.title()}"))
    return people


def _months_paid(rng: random.Random, created: datetime, now: datetime) -> tuple[int, bool]:
    """Months a subscription started at `created` paid, and whether it churned."""
    cycles = 1
    while add_months(created, cycles) <= now:
        if rng.random() < CHURN_PER_MONTH:
            return cycles, True
        cycles += 1
    return cycles, False


def _when(rng: random.Random, now: datetime, days: int) -> datetime:
    return now - timedelta(seconds=rng.uniform(3600, days * 86_400))


def generate(slug: str, now: datetime, physical: bool, counts: dict = COUNTS) -> list[Story]:
    """Every story of the tenant, oldest first."""
    rng = random.Random(f"commerce:{slug}")
    span = MONTHS * 30
    stories = []
    for kind, count in counts.items():
        if kind in GRANTED or (kind == "physical" and not physical):
            continue
        for index in range(count):
            reader, gateway = rng.randrange(counts["readers"]), rng.choice(GATEWAYS)
            created = _when(rng, now, span)
            values = {"kind": kind, "created": created, "reader": reader, "gateway": gateway}
            if kind in ("subscription", "dispute"):
                cycles, churned = _months_paid(rng, created, now)
                values.update(cycles=cycles, churned=churned and kind == "subscription")
                values["failed_cycle"] = rng.randint(1, cycles) if rng.random() < 0.1 else None
                values["pending_first"] = rng.random() < 0.3
                if kind == "subscription" and index in (2, 3):  # one churn, one decline
                    values["churned"] = index == 2 or values["churned"]
                    values["failed_cycle"] = 1 if index == 3 else values["failed_cycle"]
            if kind == "physical":
                values["cycles"] = 2 if add_months(created, 12) <= now else 1
            if kind in FIXED_REFUNDS:
                roll = rng.random()
                values["refund"] = "full" if roll < 0.05 else "partial" if roll < 0.11 else None
                fixed = FIXED_REFUNDS[kind]
                values["refund"] = fixed[index] if index < len(fixed) else values["refund"]
            if kind in ("pending", "error", "cancelled", "expired"):
                values["created"] = _when(rng, now, 120 if kind == "pending" else span)
                values["pending_first"] = rng.random() < 0.5
            stories.append(Story(**values))
    return sorted(stories, key=lambda story: story.created)
