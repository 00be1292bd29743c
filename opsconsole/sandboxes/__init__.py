"""Vendor-compatible sandboxes: local stand-ins for the CRM and the ERP.

`crm` serves a subset of the Salesforce REST API over HTTPS with a local CA (`tls`), and
`erp` a subset of the NetSuite REST record API. Both keep their records in memory, send a
signed CloudEvent for each committed change to the engine (`delivery`), and offer
sandbox-only endpoints under /sandbox/ for fault injection (`faults`), delivery counts, and a
bounded log of answered requests with their correlation, trace and idempotency headers
(`request_log`).

Where they knowingly differ from the real services:

- The ERP always returns a transaction's `item` sublist expanded, as if
  `expandSubResources=true` were set, and `status` is the plain status name.
- The ERP's field limits beyond addr1-3 (150) and state (30) are estimates.
- A CRM upsert that updates a record returns 204 without a body. Salesforce adds a
  `created` flag to upsert responses from API version 46.0; whether it also sends a body
  for updates was not checked.
"""
