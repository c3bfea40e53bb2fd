"""Loading and saving profiles, day buckets, balance snapshots and product holdings in bulk."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Sequence
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters.orm import (
    activity_day,
    balance_snapshot,
    customer_alias,
    customer_profile,
    product_holding,
)
from services.segmentation.adapters.sql import (
    chunks,
    driver,
    pairs_in,
    upsert,
    upsert_records,
)
from services.segmentation.domain.activity import (
    DAY_FIELDS,
    WINDOW_COLUMNS,
    DayDelta,
    roll,
    roll_bands,
)
from services.segmentation.domain.profile import Balances, Profile
from shared.db.arrays import any_of, is_postgres

_PLAIN = (
    "customer_id",
    "kind",
    "home_branch",
    "registered_at",
    "stage",
    "stage_at",
    "first_seen_at",
    "first_transaction_at",
    "last_transaction_at",
    "first_day",
    "last_day",
    "first_day_amount",
    "active_days",
    "first_activity_day",
    "windows_on",
    "balance_as_of",
    "products",
    "product_kinds",
)
_BALANCES = ("deposits", "investments", "loans_outstanding", "financial_assets")
BucketKey = tuple[str, int]


def profile_from_row(row: Any) -> Profile:
    """A profile from a ``customer_profile`` row (a SQLAlchemy row or a mapping)."""
    mapping = getattr(row, "_mapping", row)
    return profile_from_values([mapping[name] for name in _STORED])


def profile_from_values(values: Sequence[Any]) -> Profile:
    """A profile from a row's values in `_STORED` order (as `load_profiles` selects them)."""
    plain, sums, money = values[:_SUMS_AT], values[_SUMS_AT:_MONEY_AT], values[_MONEY_AT:]
    balances = None
    if plain[_AS_OF_AT] is not None:
        balances = Balances(*(float(value or 0.0) for value in money))
    return Profile(
        **dict(zip(_PLAIN, plain, strict=True)),
        sums=dict(zip(WINDOW_COLUMNS, map(float, sums), strict=True)),
        balances=balances,
    )


_STORED = (*_PLAIN, *WINDOW_COLUMNS, *_BALANCES)
_SUMS_AT, _MONEY_AT = len(_PLAIN), len(_PLAIN) + len(WINDOW_COLUMNS)
_AS_OF_AT = _PLAIN.index("balance_as_of")
_PLAIN_OF, _SUMS_OF = attrgetter(*_PLAIN), itemgetter(*WINDOW_COLUMNS)
PROFILE_COLUMNS = (*_PLAIN, *WINDOW_COLUMNS, *_BALANCES, "relationship_start_day", "updated_at")


def profile_to_record(profile: Profile, *, now: dt.datetime) -> tuple[Any, ...]:
    """The ``customer_profile`` row of a profile, as values in `PROFILE_COLUMNS` order."""
    balances = profile.balances
    money = (None,) * len(_BALANCES) if balances is None else _balance_values(balances)
    return (*_PLAIN_OF(profile), *_SUMS_OF(profile.sums), *money, profile.start_day(), now)


def _balance_values(balances: Balances) -> tuple[float, ...]:
    return (
        balances.deposits,
        balances.investments,
        balances.loans_outstanding,
        balances.financial_assets,
    )


async def resolve_aliases(session: AsyncSession, ids: Collection[str]) -> dict[str, str]:
    """Survivor ids of the given ids that were merged away (ids not merged are left out)."""
    found: dict[str, str] = {}
    for part in chunks(sorted(ids)):
        query = select(customer_alias.c.merged_id, customer_alias.c.survivor_id).where(
            any_of(session, customer_alias.c.merged_id, part)
        )
        found.update({row.merged_id: row.survivor_id for row in await session.execute(query)})
    return found


async def load_profiles(
    session: AsyncSession, ids: Collection[str], *, lock: bool = True
) -> dict[str, Profile]:
    """Profiles of the given customers that exist, locked for update in id order."""
    if is_postgres(session):  # the driver's records: no per-row SQLAlchemy objects
        raw = await driver(session)
        rows = await raw.fetch(_LOAD_LOCKED if lock else _LOAD, sorted(ids))
        return {row[0]: profile_from_values(row) for row in rows}
    profiles: dict[str, Profile] = {}
    for part in chunks(sorted(ids)):
        query = (
            select(customer_profile)
            .where(customer_profile.c.customer_id.in_(part))
            .order_by(customer_profile.c.customer_id)
        )
        for row in await session.execute(query):
            profiles[row.customer_id] = profile_from_row(row)
    return profiles


_LOAD = (
    f"SELECT {', '.join(_STORED)} FROM customer_profile "
    "WHERE customer_id = ANY($1::text[]) ORDER BY customer_id"
)
_LOAD_LOCKED = _LOAD + " FOR UPDATE"


async def save_profiles(
    session: AsyncSession, profiles: Iterable[Profile], *, now: dt.datetime
) -> None:
    """Insert or overwrite the given profiles."""
    records = [profile_to_record(p, now=now) for p in profiles]
    await upsert_records(session, customer_profile, PROFILE_COLUMNS, records, keys=["customer_id"])


async def load_buckets(
    session: AsyncSession, keys: Collection[BucketKey]
) -> dict[BucketKey, DayDelta]:
    """The stored buckets among ``keys``."""
    found: dict[BucketKey, DayDelta] = {}
    columns = [activity_day.c[f] for f in DAY_FIELDS]
    for part in chunks(sorted(keys)):
        query = select(activity_day.c.customer_id, activity_day.c.day, *columns).where(
            pairs_in(session, (activity_day.c.customer_id, activity_day.c.day), part)
        )
        for row in await session.execute(query):
            found[(row.customer_id, row.day)] = _delta(row)
    return found


async def load_roll_buckets(
    session: AsyncSession, since: dict[str, int], *, to: int
) -> dict[str, list[tuple[int, DayDelta]]]:
    """Buckets each customer's windows need to roll from their ``since`` day to ``to``.

    Customers are grouped by ``since`` (usually one or two days), one query per group.
    """
    groups: dict[int, list[str]] = {}
    for customer_id, day in since.items():
        groups.setdefault(day, []).append(customer_id)
    found: dict[str, list[tuple[int, DayDelta]]] = {cid: [] for cid in since}
    columns = [activity_day.c[f] for f in DAY_FIELDS]
    day_col = activity_day.c.day
    for start, ids in groups.items():
        bands = [and_(day_col > low, day_col <= high) for low, high in roll_bands(start, to)]
        if not bands:
            continue
        for part in chunks(sorted(ids)):
            query = select(activity_day.c.customer_id, day_col, *columns).where(
                any_of(session, activity_day.c.customer_id, part), or_(*bands)
            )
            for row in await session.execute(query):
                found[row.customer_id].append((row.day, _delta(row)))
    return found


async def roll_profiles(
    session: AsyncSession, profiles: dict[str, Profile], *, today: int, rolled_on: int | None
) -> None:
    """Make the profiles' window sums valid today (they are valid on their ``windows_on``,
    or on ``rolled_on`` when a recompute rolled every customer later than that)."""
    since = {cid: max(p.windows_on, rolled_on or p.windows_on) for cid, p in profiles.items()}
    stale = {cid: day for cid, day in since.items() if day < today}
    buckets = await load_roll_buckets(session, stale, to=today) if stale else {}
    for cid, profile in profiles.items():
        if cid in stale:
            roll(profile.sums, buckets[cid], since=stale[cid], to=today)
        # never backwards: a clock behind the last roll leaves the sums valid on that day
        profile.windows_on = max(since[cid], today)


async def customer_buckets(
    session: AsyncSession, customer_id: str, *, from_day: int
) -> tuple[list[tuple[int, DayDelta]], DayDelta]:
    """A customer's buckets from ``from_day`` on, and the sum of every earlier bucket."""
    columns = [activity_day.c[f] for f in DAY_FIELDS]
    mine = activity_day.c.customer_id == customer_id
    rows = await session.execute(
        select(activity_day.c.day, *columns).where(mine, activity_day.c.day >= from_day)
    )
    recent = [(row.day, _delta(row)) for row in rows]
    sums = select(*(func.coalesce(func.sum(c), 0).label(c.name) for c in columns)).where(
        mine, activity_day.c.day < from_day
    )
    earlier = _delta((await session.execute(sums)).one())
    return recent, earlier


def _delta(row: Any) -> DayDelta:
    mapping = row._mapping
    return DayDelta(**{f: mapping[f] for f in DAY_FIELDS})


async def save_buckets(session: AsyncSession, buckets: dict[BucketKey, DayDelta]) -> None:
    """Insert or overwrite the given buckets."""
    records = [(cid, day, *delta.values()) for (cid, day), delta in sorted(buckets.items())]
    columns = ("customer_id", "day", *DAY_FIELDS)
    await upsert_records(session, activity_day, columns, records, keys=["customer_id", "day"])


async def snapshot_neighbours(
    session: AsyncSession, customer_id: str, as_of: dt.date
) -> tuple[Balances | None, dt.date | None]:
    """The balance in effect on ``as_of`` before a new snapshot, and the next snapshot's date."""
    table = balance_snapshot
    mine = table.c.customer_id == customer_id
    before = await session.execute(
        select(table).where(mine, table.c.as_of <= as_of).order_by(table.c.as_of.desc()).limit(1)
    )
    row = before.first()
    after = await session.scalar(select(func.min(table.c.as_of)).where(mine, table.c.as_of > as_of))
    effective = None if row is None else Balances(**{n: row._mapping[n] for n in _BALANCES})
    return effective, after


async def save_snapshots(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Insert or overwrite balance snapshots (one per customer and ``as_of``)."""
    await upsert(session, balance_snapshot, rows, keys=["customer_id", "as_of"])


async def held_products(
    session: AsyncSession, ids: Collection[str]
) -> dict[str, tuple[list[str], list[str]]]:
    """Codes and kinds of the products each customer holds now, sorted."""
    held: dict[str, tuple[set[str], set[str]]] = {cid: (set(), set()) for cid in ids}
    t = product_holding
    holding = (t.c.closed_at.is_(None)) | (t.c.opened_at > t.c.closed_at)
    for part in chunks(sorted(ids)):
        query = select(t.c.customer_id, t.c.product, t.c.kind).where(
            any_of(session, t.c.customer_id, part), holding
        )
        for row in await session.execute(query):
            held[row.customer_id][0].add(row.product)
            held[row.customer_id][1].add(row.kind)
    return {cid: (sorted(codes), sorted(kinds)) for cid, (codes, kinds) in held.items()}
