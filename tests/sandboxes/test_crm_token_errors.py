"""The CRM token endpoint returns an OAuth 2.0 error body for malformed requests."""

from __future__ import annotations

import httpx

from opsconsole.sandboxes.crm.app import CrmSettings, create_app
from opsconsole.serve import serve_in_thread


def test_token_request_without_fields_gets_oauth_error() -> None:
    # Found by `opsconsole contracts fuzz --api crm`: the 400 carried the REST API's error
    # list, which breaks the OAuthError schema the endpoint documents for 400.
    app = create_app(CrmSettings(engine_webhook_url=None, webhook_secret="s", clients={"c": "x"}))
    with serve_in_thread(app, name="crm") as server:
        form = {"grant_type": "", "client_id": "", "client_secret": ""}
        response = httpx.post(f"{server.url}/services/oauth2/token", data=form)

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid_request"
    assert "grant_type" in body["error_description"]
