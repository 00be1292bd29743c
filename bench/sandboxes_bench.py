"""Measure the CRM and ERP sandboxes' request rates with real clients over loopback.

Usage: python bench/sandboxes_bench.py [--records 2000]

Steps: create accounts through simple-salesforce over TLS (keep-alive), read them all back
with `query_all` (pages of 2,000), and upsert customers into the ERP with httpx. Events are
off, so the numbers are the APIs alone. Record results in bench/RESULTS.md with the machine
and the date.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import requests
from simple_salesforce import Salesforce

from opsconsole.sandboxes.crm.app import CrmSettings
from opsconsole.sandboxes.crm.app import create_app as create_crm_app
from opsconsole.sandboxes.erp.app import ErpSettings
from opsconsole.sandboxes.erp.app import create_app as create_erp_app
from opsconsole.sandboxes.tls import local_tls
from opsconsole.serve import serve_in_thread

CLIENT = ("bench", "bench-secret")


def _timed(label: str, count: int, work: Callable[[], object]) -> None:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{label}: {count} in {wall:.2f} s wall, {cpu:.2f} s CPU, {count / wall:.0f}/s")


def bench_crm(records: int, state_dir: Path) -> None:
    """Create `records` accounts, then read them back with query_all."""
    tls = local_tls(state_dir)
    settings = CrmSettings(engine_webhook_url=None, webhook_secret="s", clients=dict([CLIENT]))
    with serve_in_thread(create_crm_app(settings), name="crm", tls=tls.server) as server:
        session = requests.Session()
        session.trust_env = False
        session.verify = str(tls.ca_file)
        token = session.post(
            f"{server.url}/services/oauth2/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT[0],
                "client_secret": CLIENT[1],
            },
        ).json()["access_token"]
        sf = Salesforce(instance_url=server.url, session_id=token, session=session, version="60.0")

        def create() -> None:
            for index in range(records):
                sf.Account.create({"Name": f"Account {index}", "BillingCity": "Berlin"})

        _timed("CRM create (simple-salesforce, TLS)", records, create)
        query = "SELECT Id, Name, BillingCity FROM Account WHERE BillingCity = 'Berlin'"
        _timed("CRM query_all, pages of 2000", records, lambda: sf.query_all(query))
        session.headers["Connection"] = "close"
        session.get(f"{server.url}/services/data")
        session.close()


def bench_erp(records: int) -> None:
    """Upsert `records` customers by external ID."""
    settings = ErpSettings(engine_event_url=None, event_secret="s", clients=dict([CLIENT]))
    app = create_erp_app(settings)
    with (
        serve_in_thread(app, name="erp") as server,
        httpx.Client(base_url=server.url, trust_env=False) as http,
    ):
        token = http.post(
            "/services/rest/auth/oauth2/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": CLIENT[0],
                "client_secret": CLIENT[1],
            },
        ).json()["access_token"]
        http.headers["Authorization"] = f"Bearer {token}"

        def upsert() -> None:
            for index in range(records):
                body = {"companyName": f"Customer {index}", "addr1": "Hauptstr. 1"}
                http.put(f"/services/rest/record/v1/customer/eid:C-{index}", json=body)

        _timed("ERP upsert (httpx)", records, upsert)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000, help="Records per step.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as state_dir:
        bench_crm(args.records, Path(state_dir))
    bench_erp(args.records)


if __name__ == "__main__":
    main()
