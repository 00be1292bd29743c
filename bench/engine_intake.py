"""Measure the engine's event intake and account sync throughput on this machine.

Run from the repository root: `python bench/engine_intake.py [--events N] [--accounts N]`.
Part 1 posts signed CRM webhooks to an engine without its worker (intake only: verify,
validate, atomic inbox insert) and then posts every event again (duplicate responses).
Part 2 runs the embedded stack and creates accounts in the CRM sandbox, timing until every
account carries its ERP customer id (webhook, inbox, ERP upsert, CRM update).
"""

from __future__ import annotations

import argparse
import ssl
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from opsconsole import wire
from opsconsole.engine.app import create_app
from opsconsole.engine.settings import EngineSettings
from opsconsole.serve import serve_in_thread
from opsconsole.stack import EmbeddedStack, StackOptions
from opsconsole.store.db import sqlite_url

SECRET = "bench-secret"
CLIENTS = 8


def _event(number: int) -> wire.CloudEvent:
    account_id = f"001000000{number:06d}"
    return wire.CloudEvent(
        source="/sandbox/crm",
        type=wire.CRM_ACCOUNT_CREATED,
        subject=account_id,
        data={"sobject": "Account", "id": account_id, "fields": {"Name": f"Bench {number}"}},
    )


def bench_intake(events: int, folder: Path) -> None:
    """Post `events` webhooks, then the same ones again, and print rates and latencies."""
    settings = EngineSettings(
        database_url=sqlite_url(folder / "intake.sqlite"),
        crm_base_url="https://127.0.0.1:9",
        crm_client_secret="unused",
        erp_base_url="http://127.0.0.1:9",
        erp_client_secret="unused",
        crm_webhook_secrets=[SECRET],
        erp_event_secrets=[SECRET],
        run_worker=False,
    )
    bodies = [wire.signed_headers(_event(n), SECRET) for n in range(events)]
    with serve_in_thread(create_app(settings), name="engine") as server:
        for label in ("new events", "duplicates"):
            with httpx.Client(trust_env=False, timeout=30) as client:

                def post(item: tuple[bytes, dict[str, str]]) -> tuple[int, float]:
                    start = time.perf_counter()
                    response = client.post(
                        f"{server.url}/webhooks/crm", content=item[0], headers=item[1]
                    )
                    return response.status_code, time.perf_counter() - start

                started = time.perf_counter()
                with ThreadPoolExecutor(CLIENTS) as pool:
                    results = list(pool.map(post, bodies))
                elapsed = time.perf_counter() - started
            _report(label, results, elapsed)


def _report(label: str, results: list[tuple[int, float]], elapsed: float) -> None:
    latencies = sorted(latency for _, latency in results)
    statuses = sorted({status for status, _ in results})
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    print(
        f"{label}: {len(results)} in {elapsed:.2f} s = {len(results) / elapsed:.0f}/s, "
        f"median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"statuses {statuses}"
    )


def bench_account_sync(accounts: int, folder: Path) -> None:
    """Create `accounts` CRM accounts and time until each has its ERP customer id."""
    options = StackOptions(state_dir=folder, engine_port=0, crm_port=0, erp_port=0)
    with EmbeddedStack(options) as stack:
        info = stack.info
        assert info is not None
        verify = ssl.create_default_context(cafile=info.crm_ca_file)
        with httpx.Client(base_url=info.crm_url, verify=verify, trust_env=False) as crm:
            token = crm.post(
                "/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": info.crm_client.client_id,
                    "client_secret": info.crm_client.client_secret,
                },
            ).json()["access_token"]
            crm.headers["Authorization"] = f"Bearer {token}"
            started = time.perf_counter()
            for number in range(accounts):
                crm.post("/services/data/v60.0/sobjects/Account", json={"Name": f"B{number}"})
            created = time.perf_counter() - started
            soql = "SELECT Id FROM Account WHERE ERP_Customer_Id__c != null"
            while True:
                linked = crm.get("/services/data/v60.0/query", params={"q": soql}).json()
                if linked["totalSize"] >= accounts:
                    break
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
        print(
            f"account sync: {accounts} accounts created in {created:.2f} s, all linked to "
            f"ERP customers after {elapsed:.2f} s = {accounts / elapsed:.0f} accounts/s"
        )


def main() -> None:
    """Parse the options and run both measurements."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1000, help="Webhooks to post.")
    parser.add_argument("--accounts", type=int, default=200, help="Accounts to sync.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        bench_intake(options.events, Path(folder))
        bench_account_sync(options.accounts, Path(folder) / "stack")


if __name__ == "__main__":
    main()
