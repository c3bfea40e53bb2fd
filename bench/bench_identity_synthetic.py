"""A synthetic mainland-China customer base for the identity latency benchmark (no real people).

Customer ``i`` is a pure function of ``(seed, i)``: surnames follow the published shares of the
commonest surnames (so blocks are as skewed as a real bank's), given names come from the
commonest name characters, addresses from ~2,000 districts. Every ID number passes the GB 11643
check digit and every phone is a valid mainland mobile, both unique per customer.

``bulk_load`` writes customers straight into the tables, with the rows the batch endpoint
writes for a record that creates a customer (see its docstring), ~10 times faster.
``python -m bench.bench_identity_synthetic`` checks the generator.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
import uuid
from concurrent.futures import ProcessPoolExecutor
from functools import lru_cache
from typing import Any

import asyncpg

from services.identity.adapters.vault import Vault
from services.identity.domain import (
    blocking_keys,
    prepare,
    record_from_dict,
)
from services.identity.domain.china_ids import id_card_check_char
from services.identity.handlers.common import seal, summarize
from services.identity.settings import Settings, VaultSettings

Rows = dict[str, list[tuple[Any, ...]]]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
)
# Shares (%) of the first 20 surnames; the rest share what is left evenly.
_TOP_SHARES = [7.1, 7.0, 6.7, 5.4, 4.5, 3.2, 2.3, 2.2, 2.0, 1.9, 1.4, 1.3, 1.2, 1.2, 1.1, 1.1]
_TOP_SHARES += [1.0, 0.9, 0.9, 0.9]
_WEIGHTS = _TOP_SHARES + [0.45] * (len(SURNAMES) - len(_TOP_SHARES))
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂英华建国志文辉鹏飞玲红梅琳雪婷宇浩然晨阳欣怡"
    "子涵思雨梓萱一诺佳琪俊杰博文嘉豪泽宇天翼晓东海波立新春燕秀兰凤霞玉兰金凤丹丹"
)
CHANNELS = ("counter", "mobile", "online", "call_center")
PROVINCES = (11, 12, 13, 14, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 50, 51)
MOBILE_PREFIXES = ("138", "139", "186", "188", "150", "151", "158", "135", "137", "187")


@lru_cache(maxsize=1)
def districts(seed: int = 7) -> list[tuple[str, str, str, int]]:
    """~2,000 districts: (region code, district name, postcode, province code)."""
    rng = random.Random(seed)
    chars = "东西南北中新安平昌宁和兴华阳城山江海河湖州沙口桥林丰泰广德明福"
    out = []
    for n in range(2000):
        province = PROVINCES[n % len(PROVINCES)]
        name = rng.choice(chars) + rng.choice(chars) + rng.choice("区县市")
        out.append((f"{province}{n % 100:02d}{n // 100:02d}", name, f"{100000 + n * 37}", province))
    return out


def customer(i: int, *, seed: int = 1) -> dict[str, Any]:
    """Customer ``i`` as the core banking system's source record."""
    rng = random.Random(seed * 1_000_003 + i)
    region, district, postcode, _province = rng.choice(districts())
    family = rng.choices(SURNAMES, weights=_WEIGHTS)[0]
    given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
    gender = rng.choice("MF")
    birth = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(65 * 365))
    return {
        "source_system": "core",
        "source_record_id": f"cif{i:09d}",
        "kind": "person",
        "attributes": {
            "given_name": given,
            "family_name": family,
            "birth_date": birth.isoformat(),
            "gender": gender,
            "address": {
                "street_number": f"{rng.randrange(1, 400)}号",
                "line1": rng.choice(GIVEN) + rng.choice(GIVEN) + "路",
                "locality": district,
                "postcode": postcode,
            },
        },
        "identifiers": [
            {"type": "id_card", "value": id_card(region, birth, i, gender)},
            {"type": "phone", "value": mobile(i)},
        ],
        "branch": f"{int(postcode) % 997:04d}",
        "channel": rng.choice(CHANNELS),
        "observed_at": "2020-01-01T00:00:00+00:00",
    }


def id_card(region: str, birth: dt.date, i: int, gender: str) -> str:
    """A valid ID number, unique per ``i``: the sequence digits and region spread ``i``."""
    sequence = (i * 2 + (1 if gender == "M" else 0)) % 1000
    if sequence % 2 != (1 if gender == "M" else 0):
        sequence = (sequence + 1) % 1000
    # Region digits 3-6 carry i // 500, so (region, birth, sequence) never repeats.
    first17 = f"{region[:2]}{(i // 500) % 10000:04d}{birth:%Y%m%d}{sequence:03d}"
    return first17 + id_card_check_char(first17)


def mobile(i: int) -> str:
    """A valid mainland mobile number, unique per ``i`` (below 10 × 10⁸ customers)."""
    return f"+86{MOBILE_PREFIXES[i % len(MOBILE_PREFIXES)]}{(i // 10) * 7919 % 10**8:08d}"


def returning_with_id(i: int, visit: int) -> dict[str, Any]:
    """Customer ``i`` opening the mobile app: ID number, name, phone (a deterministic link)."""
    base = customer(i)
    return {
        **base,
        "source_system": "mobile",
        "source_record_id": f"app-{i}-{visit}",
        "attributes": {k: base["attributes"][k] for k in ("given_name", "family_name")},
        "identifiers": base["identifiers"],
        "channel": "mobile",
    }


def returning_without_id(i: int, visit: int) -> dict[str, Any]:
    """Customer ``i`` at the call centre: name, birth date, phone (a probabilistic link)."""
    base = customer(i)
    attributes = {k: base["attributes"][k] for k in ("given_name", "family_name", "birth_date")}
    return {
        **base,
        "source_system": "call_center",
        "source_record_id": f"cc-{i}-{visit}",
        "attributes": attributes,
        "identifiers": [base["identifiers"][1]],
        "channel": "call_center",
    }


def rows_for(start: int, stop: int, vault: VaultSettings) -> Rows:
    """The rows customers ``start..stop-1`` get when each creates a customer (one process)."""
    sealer = Vault(vault)
    at = dt.datetime.now(dt.UTC)
    out: Rows = {table: [] for table in ("customer", "customer_key", "source_record")}
    out |= {"record_key": [], "customer_event": []}
    for i in range(start, stop):
        record = record_from_dict(customer(i))
        keys = blocking_keys(prepare(record))
        customer_id = str(uuid.uuid4())
        data_key, wrapped = sealer.new_data_key()
        summary = summarize([record])
        branches, channels = json.dumps(summary.branches), json.dumps(summary.channels)
        out["customer"].append(
            (customer_id, record.kind, "active", None, summary.home_branch, branches, channels,
             at, at, None)
        )  # fmt: skip
        out["customer_key"].append((customer_id, wrapped, sealer.master_key_id, at))
        out["source_record"].append(
            (i + 1, record.source_system, record.source_record_id, customer_id, customer_id,
             record.kind, record.branch, record.channel, record.observed_at,
             seal(record, data_key), at, at)
        )  # fmt: skip
        out["record_key"] += [(i + 1, sealer.blind(key)) for key in keys]
        detail = json.dumps({"source_system": record.source_system, "decision": "created"})
        out["customer_event"].append((customer_id, "registered", None, detail, "bulk", None, at))
    return out


COLUMNS = {
    "customer": ("id", "kind", "status", "merged_into", "home_branch", "branches", "channels",
                 "created_at", "updated_at", "erased_at"),
    "customer_key": ("customer_id", "wrapped_key", "master_key_id", "created_at"),
    "source_record": ("id", "source_system", "source_record_id", "customer_id",
                      "original_customer_id", "kind", "branch", "channel", "observed_at",
                      "payload", "created_at", "updated_at"),
    "record_key": ("record_id", "key_hash"),
    "customer_event": ("customer_id", "kind", "other_id", "detail", "actor", "correlation_id",
                       "occurred_at"),
}  # fmt: skip


async def bulk_load(database_url: str, start: int, stop: int, *, chunk: int = 10_000) -> None:
    """Customers ``start..stop-1`` written with COPY, prepared by a pool of processes.

    Exactly the rows ``POST /v1/customers/identify/batch`` writes when each record creates a
    customer (which the synthetic customers do: their ID numbers all differ), with source
    row ids equal to the customer index + 1, except the outbox: no event rows, as if a relay
    had published them. Then the id sequence is moved past the largest id used.
    """
    settings = Settings(env="test", database_url=database_url)
    connection = await asyncpg.connect(database_url.replace("postgresql+asyncpg", "postgresql"))
    loop = asyncio.get_running_loop()
    try:
        with ProcessPoolExecutor(2) as pool:
            bounds = [(a, min(a + chunk, stop)) for a in range(start, stop, chunk)]
            pending = [
                loop.run_in_executor(pool, rows_for, a, b, settings.vault) for a, b in bounds
            ]
            for done, future in enumerate(pending, 1):
                rows = await future
                async with connection.transaction():
                    for table, columns in COLUMNS.items():
                        await connection.copy_records_to_table(
                            table, records=rows[table], columns=columns
                        )
                print(f"\r  bulk-loaded {bounds[done - 1][1]:>9,} customers", end="", flush=True)
        print()
        await connection.execute(
            "SELECT setval(pg_get_serial_sequence('source_record', 'id'), $1)", stop
        )
    finally:
        await connection.close()


def main() -> None:
    """Check the generator: every record valid, IDs and phones unique; print its speed."""
    started = time.perf_counter()
    records = [customer(i) for i in range(20_000)]
    generated = time.perf_counter() - started
    parsed = [record_from_dict(r) for r in records]
    ids = {r.values_of("id_card") for r in parsed}
    phones = {r.values_of("phone") for r in parsed}
    assert len(ids) == len(phones) == len(records), "identifiers repeat"
    surnames = sorted({r.family_name for r in parsed if r.family_name})
    print(
        f"20,000 synthetic customers valid and unique ({len(surnames)} surnames), "
        f"{len(records) / generated:,.0f} generated/s"
    )


if __name__ == "__main__":
    main()
