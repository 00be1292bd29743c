"""The review workflow and CI gate on a git repository built in the test."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from opsconsole.cli.main import app

ORDER = {
    "type": "object",
    "required": ["id"],
    "properties": {
        "id": {"type": "string"},
        "total": {"type": "number"},
        "note": {"type": "string"},
    },
}


def openapi(order: dict[str, Any]) -> dict[str, Any]:
    response = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Orders", "version": "1"},
        "paths": {
            "/orders/{id}": {"get": {"responses": {"200": {"description": "OK", **response}}}}
        },
        "components": {"schemas": {"Order": order}},
    }


def pact(consumer: str, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "consumer": {"name": consumer},
        "provider": {"name": "order-api"},
        "interactions": [
            {
                "type": "Synchronous/HTTP",
                "description": f"{consumer} reads an order",
                "request": {"method": "GET", "path": "/orders/SO-4410"},
                "response": {
                    "status": 200,
                    "body": {"content": body, "contentType": "application/json", "encoded": False},
                },
            }
        ],
        "metadata": {"pactSpecification": {"version": "4.0"}},
    }


TOUCHPOINTS = """\
apiVersion: opsconsole.dev/v1
kind: Touchpoint
metadata:
  name: crm-order-sync
spec:
  owner: team-crm
  contracts:
    - openapi: contracts/openapi/orders.yaml
    - pact: contracts/pacts/crm-orders.json
---
apiVersion: opsconsole.dev/v1
kind: Touchpoint
metadata:
  name: billing-invoice
spec:
  owner: team-billing
  contracts:
    - contracts/openapi/orders.yaml
    - contracts/pacts/billing-orders.json
---
apiVersion: opsconsole.dev/v1
kind: Touchpoint
metadata:
  name: warehouse-feed
spec:
  owner: team-wms
  contracts:
    - schema: contracts/schemas/order.v1.json
"""


def git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True
    )
    return result.stdout


def write(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else json.dumps(data, indent=2)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    write(root / "catalog" / "touchpoints.yaml", TOUCHPOINTS)
    write(root / "contracts/openapi/orders.yaml", yaml.safe_dump(openapi(ORDER)))
    write(root / "contracts/schemas/order.v1.json", ORDER)
    write(root / "contracts/pacts/crm-orders.json", pact("crm", {"id": "SO-4410", "total": 5.0}))
    write(root / "contracts/pacts/billing-orders.json", pact("billing", {"id": "SO-4410"}))
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "Add the order contract")
    git(root, "checkout", "-q", "-b", "drop-total")
    without_total = {
        **ORDER,
        "properties": {"id": ORDER["properties"]["id"], "note": {"type": "string"}},
    }
    write(root / "contracts/openapi/orders.yaml", yaml.safe_dump(openapi(without_total)))
    git(root, "commit", "-qam", "Drop the order total")
    return root


def run(repo: Path, *args: str) -> Any:
    result = CliRunner().invoke(app, ["review", *args, "--workspace", str(repo)])
    return result


def test_gate_fails_on_unapproved_breaking_change(repo: Path, tmp_path: Path) -> None:
    junit, summary = tmp_path / "out/junit.xml", tmp_path / "out/summary.md"
    result = run(repo, "check", "--base", "main", "--junit", str(junit), "--summary", str(summary))
    assert result.exit_code == 1, result.output
    suite = ET.parse(junit).getroot()
    assert suite.get("failures") == "1"
    case = suite.find("testcase")
    assert case is not None
    assert case.get("name") == "contracts/openapi/orders.yaml"
    failure = case.find("failure")
    assert failure is not None
    assert "property-removed" in (failure.text or "")
    markdown = summary.read_text(encoding="utf-8")
    assert markdown.startswith("## Schema-change review: failed")
    assert "affects pact `crm`" in markdown
    assert "safe for pact `billing`" in markdown
    assert "affects touchpoint `crm-order-sync`, owner team-crm" in markdown
    assert "safe for touchpoint `billing-invoice`" in markdown


def test_gate_passes_without_changes(repo: Path) -> None:
    result = run(repo, "check", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert "No contract changed" in result.output


def test_approval_by_required_approver_passes_gate(repo: Path) -> None:
    opened = run(
        repo, "open", "--base", "main", "--title", "Drop order total", "--id", "drop-total"
    )
    assert opened.exit_code == 0, opened.output
    record = yaml.safe_load((repo / "contracts/reviews/drop-total.yaml").read_text())
    assert record["status"] == "open"
    assert record["verdict"] == "breaking"
    assert record["required_approvers"] == ["team-crm"]
    assert record["changes"][0]["fingerprint"]
    assert run(repo, "check", "--base", "main").exit_code == 1

    outsider = run(repo, "approve", "drop-total", "--name", "someone-else")
    assert "status is now open" in outsider.output
    assert run(repo, "check", "--base", "main").exit_code == 1

    approved = run(repo, "approve", "drop-total", "--name", "team-crm", "--comment", "CRM ready")
    assert "status is now approved" in approved.output
    assert run(repo, "check", "--base", "main").exit_code == 0
    status = run(repo, "status", "--json")
    assert json.loads(status.stdout)[0]["status"] == "approved"
    shown = json.loads(run(repo, "show", "drop-total", "--json").stdout)
    assert shown["approvals"][-1]["comment"] == "CRM ready"
    assert shown["approvals"][-1]["time"].endswith("Z")


def test_approval_survives_rebase(repo: Path) -> None:
    run(repo, "open", "--base", "main", "--title", "Drop order total", "--id", "drop-total")
    run(repo, "approve", "drop-total", "--name", "team-crm")
    git(repo, "add", "contracts/reviews")
    git(repo, "commit", "-qm", "Approve dropping the total")
    # Main moves on with an unrelated edit that shifts every line of the file. After the rebase
    # the same breaking change sits on other lines.
    git(repo, "checkout", "-q", "main")
    document = openapi(ORDER)
    document["paths"]["/health"] = {"get": {"responses": {"200": {"description": "OK"}}}}
    header = "# Orders API, owned by the order team.\n# Lines added here shift the rest.\n\n"
    write(repo / "contracts/openapi/orders.yaml", header + yaml.safe_dump(document))
    git(repo, "commit", "-qam", "Document the API")
    git(repo, "checkout", "-q", "drop-total")
    git(repo, "rebase", "-q", "main")
    rebased = yaml.safe_load((repo / "contracts/openapi/orders.yaml").read_text())
    assert "total" not in rebased["components"]["schemas"]["Order"]["properties"]
    assert run(repo, "check", "--base", "main").exit_code == 0


def test_rejection_keeps_gate_red(repo: Path) -> None:
    run(repo, "open", "--base", "main", "--title", "Drop order total", "--id", "drop-total")
    run(repo, "approve", "drop-total", "--name", "team-crm")
    rejected = run(repo, "reject", "drop-total", "--name", "team-billing", "--comment", "No")
    assert "status is now rejected" in rejected.output
    assert run(repo, "check", "--base", "main").exit_code == 1


def test_hand_edited_status_does_not_approve(repo: Path) -> None:
    run(repo, "open", "--base", "main", "--title", "Drop order total", "--id", "drop-total")
    path = repo / "contracts/reviews/drop-total.yaml"
    record = yaml.safe_load(path.read_text())
    record["status"] = "approved"
    path.write_text(yaml.safe_dump(record))
    assert run(repo, "check", "--base", "main").exit_code == 1


def test_git_ref_source_in_diff(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    result = CliRunner().invoke(
        app,
        [
            "review",
            "diff",
            "--json",
            "main:contracts/openapi/orders.yaml",
            "contracts/openapi/orders.yaml",
        ],
    )
    assert result.exit_code == 1, result.output
    assert "property-removed" in {change["id"] for change in json.loads(result.stdout)}
    missing = CliRunner().invoke(
        app, ["review", "diff", "nope:contracts/x.json", "contracts/x.json"]
    )
    assert missing.exit_code == 2


def test_unknown_base_is_input_error(repo: Path) -> None:
    result = run(repo, "check", "--base", "no-such-branch")
    assert result.exit_code == 2
    assert "no-such-branch" in result.output


def test_removed_contract_is_breaking(repo: Path) -> None:
    (repo / "contracts/schemas/order.v1.json").unlink()
    result = run(repo, "check", "--base", "main")
    assert result.exit_code == 1
    assert "contract-removed" in result.output
    assert "affects touchpoint `warehouse-feed`, owner team-wms" in result.output


def test_new_contract_is_listed_not_breaking(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    write(repo / "contracts/schemas/invoice.v1.json", {"type": "object"})
    result = run(repo, "check", "--base", "main")
    assert result.exit_code == 0, result.output
    assert "`contracts/schemas/invoice.v1.json` | 0 | 0 | 1 | 0 |" in result.output


def test_pacts_are_not_contracts(repo: Path) -> None:
    git(repo, "checkout", "-q", "main")
    write(repo / "contracts/pacts/crm-orders.json", pact("crm", {"id": "SO-1"}))
    result = run(repo, "check", "--base", "main")
    assert result.exit_code == 0, result.output
    assert "No contract changed" in result.output


def test_invalid_review_record_is_input_error(repo: Path) -> None:
    write(repo / "contracts/reviews/notes.yaml", "id: x\n")
    result = run(repo, "check", "--base", "main")
    assert result.exit_code == 2
    assert "notes.yaml is invalid at 'title'" in result.output


def open_for_group(repo: Path) -> None:
    """Make a group own the CRM touchpoint and open the review it must approve."""
    catalog = repo / "catalog" / "touchpoints.yaml"
    catalog.write_text(TOUCHPOINTS.replace("owner: team-crm", "owner: group:order-desk"))
    opened = run(repo, "open", "--base", "main", "--title", "Drop total", "--id", "drop-total")
    assert opened.exit_code == 0, opened.output


def test_bare_group_name_approves_for_group(repo: Path) -> None:
    open_for_group(repo)
    approved = run(repo, "approve", "drop-total", "--name", "order-desk")
    assert approved.exit_code == 0, approved.output
    assert "status is now approved" in approved.stdout
    assert "Warning" not in approved.stderr
    assert run(repo, "check", "--base", "main").exit_code == 0
    shown = json.loads(run(repo, "show", "drop-total", "--json").stdout)
    assert [a["name"] for a in shown["approvals"]] == ["order-desk"]


def test_unmatched_approver_name_warns(repo: Path) -> None:
    open_for_group(repo)
    for name in ("sales-desk", "user:order-desk"):
        result = run(repo, "approve", "drop-total", "--name", name)
        assert result.exit_code == 0, result.output
        assert "status is now open" in result.stdout
        assert f"Warning: '{name}' matches no required approver" in result.stderr
        assert "one of: 'group:order-desk' (or 'order-desk')" in result.stderr
    shown = json.loads(run(repo, "show", "drop-total", "--json").stdout)
    assert [a["name"] for a in shown["approvals"]] == ["sales-desk", "user:order-desk"]
    status = json.loads(run(repo, "status", "--json").stdout)
    assert status[0]["missing_approvers"] == ["group:order-desk"]
    assert run(repo, "check", "--base", "main").exit_code == 1


def test_ambiguous_bare_name_counts_for_neither(repo: Path) -> None:
    catalog = repo / "catalog" / "touchpoints.yaml"
    owners = TOUCHPOINTS.replace("owner: team-crm", "owner: group:crm")
    catalog.write_text(owners.replace("owner: team-billing", "owner: user:crm"))
    pact_body = pact("billing", {"id": "SO-4410", "total": 5.0})
    write(repo / "contracts/pacts/billing-orders.json", pact_body)
    opened = run(repo, "open", "--base", "main", "--title", "Drop total", "--id", "drop-total")
    assert opened.exit_code == 0, opened.output
    record = yaml.safe_load((repo / "contracts/reviews/drop-total.yaml").read_text())
    assert sorted(record["required_approvers"]) == ["group:crm", "user:crm"]
    result = run(repo, "approve", "drop-total", "--name", "crm")
    assert "Warning: 'crm' matches no required approver" in result.stderr
    run(repo, "approve", "drop-total", "--name", "group:crm")
    status = json.loads(run(repo, "status", "--json").stdout)
    assert status[0]["missing_approvers"] == ["user:crm"]


def test_rejection_by_bare_name_keeps_gate_red(repo: Path) -> None:
    open_for_group(repo)
    rejected = run(repo, "reject", "drop-total", "--name", "order-desk", "--comment", "Not yet")
    assert "status is now rejected" in rejected.stdout
    approved = run(repo, "approve", "drop-total", "--name", "group:order-desk")
    assert "status is now rejected" in approved.stdout
    shown = json.loads(run(repo, "show", "drop-total", "--json").stdout)
    assert [r["name"] for r in shown["rejections"]] == ["order-desk"]
    assert run(repo, "check", "--base", "main").exit_code == 1
