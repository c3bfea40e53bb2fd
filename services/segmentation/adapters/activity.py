"""The activity buffer: event handlers record folds here; the unit of work applies them in bulk.

Handlers run once per event, but a consumer batch is one transaction, so the buffer keeps the
folds in arrival order and `flush` applies them together: one query loads every profile and
bucket the batch touches, the folds run in memory, one statement per table writes them back.
Profiles are locked (``FOR UPDATE``, in id order) so two workers never interleave on a customer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.segmentation.adapters import profiles as store
from services.segmentation.adapters.orm import product_holding
from services.segmentation.adapters.sql import chunks, hold_valuation_lock, pairs_in, upsert
from services.segmentation.domain.activity import DayDelta, epoch_day
from services.segmentation.domain.profile import (
    Balances,
    Profile,
    balance_change,
    fold_identity,
    fold_latest_balances,
    fold_stage,
    fold_transaction,
)
from shared import context


@dataclass(frozen=True, slots=True)
class Op:
    """One recorded fold: ``kind`` names it, ``data`` holds its arguments."""

    kind: str
    customer_id: str
    data: dict[str, Any]


class ActivityBuffer:
    """Folds recorded by handlers, applied to the database by `flush`."""

    def __init__(
        self,
        session: AsyncSession,
        *,
        today: Callable[[], int],
        now: Callable[[], dt.datetime],
        rolled_on: Callable[[], Awaitable[int | None]],
    ) -> None:
        self.session = session
        self._today, self._now, self._rolled_on = today, now, rolled_on
        self._ops: list[Op] = []
        self._locked = False
        self.profiles: dict[str, Profile] = {}
        self.touched: set[str] = set()
        self.removed: dict[str, str] = {}  # customer id -> "merged" or "erased"
        # customer id -> (correlation, causation) of the last event folded for them, so what
        # settling publishes about a customer names the event that caused it
        self.causes: dict[str, tuple[str | None, str | None]] = {}

    def record(self, fold: str, customer_id: str, /, **data: Any) -> None:
        """Queue a fold (``transaction``, ``balance``, ``product``, ``stage``, ``identity``)."""
        self._ops.append(Op(fold, customer_id, data))
        self.causes[customer_id] = (context.correlation_id.get(), context.causation_id.get())

    async def flush(self) -> None:
        """Apply the queued folds and write the profiles, buckets and rows they changed."""
        if not self._ops:
            return
        ops, self._ops = self._ops, []
        await self.lock()
        aliases = await store.resolve_aliases(self.session, {op.customer_id for op in ops})
        if aliases:  # events for ids merged away fold into their survivors
            ops = [Op(op.kind, aliases.get(op.customer_id, op.customer_id), op.data) for op in ops]
        await self.profiles_for({op.customer_id for op in ops})
        folder = _Folder(self, await self._prefetch_buckets(ops))
        folder.holdings = await _prefetch_holdings(self.session, ops)
        for op in ops:
            await folder.apply(op)
        await folder.save()
        self.touched.update(op.customer_id for op in ops)

    async def lock(self) -> None:
        """Hold the shared valuation lock for the rest of the transaction."""
        if not self._locked:
            await hold_valuation_lock(self.session, exclusive=False)
            self._locked = True

    def today(self) -> int:
        """Today, as an epoch day."""
        return self._today()

    def now(self) -> dt.datetime:
        """The current time."""
        return self._now()

    async def profiles_for(self, ids: set[str]) -> dict[str, Profile]:
        """The profiles of ``ids``, loaded or created, with windows valid today."""
        missing = ids - self.profiles.keys()
        if missing:
            loaded = await store.load_profiles(self.session, missing)
            today, now = self.today(), self.now()
            for cid in missing - loaded.keys():
                loaded[cid] = Profile(customer_id=cid, first_seen_at=now, windows_on=today)
            await store.roll_profiles(
                self.session, loaded, today=today, rolled_on=await self._rolled_on()
            )
            self.profiles.update(loaded)
        return {cid: self.profiles[cid] for cid in ids}

    async def _prefetch_buckets(self, ops: list[Op]) -> dict[store.BucketKey, DayDelta]:
        keys = {
            (op.customer_id, _op_day(op)) for op in ops if op.kind in ("transaction", "balance")
        }
        found = await store.load_buckets(self.session, keys)
        return {key: found[key] if key in found else DayDelta() for key in keys}

    def forget(self, customer_id: str, why: str) -> None:
        """Drop a customer that was merged away or erased from what the batch touched."""
        self.profiles.pop(customer_id, None)
        self.touched.discard(customer_id)
        self.removed[customer_id] = why


def _op_day(op: Op) -> int:
    if op.kind == "balance":
        return epoch_day(op.data["as_of"])
    return epoch_day(op.data["occurred_at"])


class _Folder:
    """Applies one flush's folds in order and writes their results."""

    def __init__(self, buffer: ActivityBuffer, buckets: dict[store.BucketKey, DayDelta]) -> None:
        self.buffer = buffer
        self.session = buffer.session
        self.buckets = buckets
        self.snapshots: dict[tuple[str, dt.date], dict[str, Any]] = {}
        self.holdings: dict[tuple[str, str], dict[str, Any]] = {}
        self.product_owners: set[str] = set()
        self.ids: set[str] = set()

    async def apply(self, op: Op) -> None:
        """Fold one recorded event into its customer's profile."""
        self.ids.add(op.customer_id)
        profile = self.buffer.profiles[op.customer_id]
        if op.kind == "transaction":
            day = epoch_day(op.data["occurred_at"])
            fold_transaction(profile, self.buckets[(op.customer_id, day)], **op.data)
        elif op.kind == "balance":
            await self._balance(profile, op.data["as_of"], op.data["balances"])
        elif op.kind == "product":
            await self._product(op.customer_id, op.data)
        elif op.kind == "stage":
            fold_stage(profile, **op.data)
        elif op.kind == "identity":
            fold_identity(profile, **op.data)

    async def _balance(self, profile: Profile, as_of: dt.date, balances: Balances) -> None:
        cid = profile.customer_id
        if profile.balance_as_of is None or as_of >= profile.balance_as_of:
            before, following = profile.balances, None
        else:  # a late snapshot: find what it replaces, and the snapshot after it
            await self._write_snapshots()
            before, following = await store.snapshot_neighbours(self.session, cid, as_of)
        change = balance_change(balances, before)
        await self._add(profile, epoch_day(as_of), change)
        if following is not None:
            undo = DayDelta(deposit_delta=-change.deposit_delta, loan_delta=-change.loan_delta)
            await self._add(profile, epoch_day(following), undo)
        fold_latest_balances(profile, as_of=as_of, balances=balances)
        self.snapshots[(cid, as_of)] = {"customer_id": cid, "as_of": as_of, **asdict(balances)}

    async def _add(self, profile: Profile, day: int, delta: DayDelta) -> None:
        key = (profile.customer_id, day)
        if key not in self.buckets:
            found = await store.load_buckets(self.session, {key})
            self.buckets[key] = found.get(key, DayDelta())
        self.buckets[key].add(delta)
        profile.add_day(day, delta)

    async def _write_snapshots(self) -> None:
        await store.save_snapshots(self.session, list(self.snapshots.values()))
        self.snapshots.clear()

    async def _product(self, customer_id: str, data: dict[str, Any]) -> None:
        row = self.holdings[(customer_id, data["account_id"])]
        row.update(product=data["product"], kind=data["kind"])
        stamp = "opened_at" if data["opened"] else "closed_at"
        if row[stamp] is None or data["occurred_at"] > row[stamp]:
            row[stamp] = data["occurred_at"]
        self.product_owners.add(customer_id)

    async def save(self) -> None:
        """Write holdings, snapshots, buckets, then the profiles (with their product lists)."""
        await upsert(
            self.session,
            product_holding,
            list(self.holdings.values()),
            keys=["customer_id", "account_id"],
        )
        await self._write_snapshots()
        await store.save_buckets(self.session, self.buckets)
        held = await store.held_products(self.session, self.product_owners)
        for cid, (codes, kinds) in held.items():
            profile = self.buffer.profiles[cid]
            profile.products, profile.product_kinds = ",".join(codes), ",".join(kinds)
        changed = [self.buffer.profiles[cid] for cid in sorted(self.ids)]
        await store.save_profiles(self.session, changed, now=self.buffer.now())


async def _prefetch_holdings(
    session: AsyncSession, ops: list[Op]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The stored holdings the product events of a flush touch (blank rows for new ones)."""
    keys = sorted({(op.customer_id, op.data["account_id"]) for op in ops if op.kind == "product"})
    found: dict[tuple[str, str], dict[str, Any]] = {}
    t = product_holding
    for part in chunks(keys):
        query = select(t).where(pairs_in(session, (t.c.customer_id, t.c.account_id), part))
        for row in await session.execute(query):
            found[(row.customer_id, row.account_id)] = dict(row._mapping)
    blank = {"product": "", "kind": "", "opened_at": None, "closed_at": None}
    return {
        key: found.get(key, {"customer_id": key[0], "account_id": key[1], **blank}) for key in keys
    }
