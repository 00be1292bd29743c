"""The broker's HTTP API: the subset of the Pact Broker API that Pact tools call.

Pact verifiers discover resources from the HAL index at `/` and follow `_links`, so every
resource here carries the links they look for: `pb:provider-pacts-for-verification`,
`pb:publish-verification-results`, `pb:publish-pact`, `pb:publish-contracts`, environments,
deployed versions and `can-i-deploy`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Body, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from opsconsole.broker.matrix import DeployDecision, can_i_deploy, matrix
from opsconsole.broker.store import (
    BrokerError,
    BrokerStore,
    ConsumerVersionSelector,
    NotFoundError,
    SelectedPact,
    StoredPact,
)

HAL_JSON = "application/hal+json"

log = structlog.get_logger("opsconsole.broker")


class BrokerSettings(BaseModel):
    """Where the broker keeps its data."""

    database_url: str
    schema_name: str | None = None


class ForVerificationRequest(BaseModel):
    """Body of `POST /pacts/provider/{provider}/for-verification`."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    consumer_version_selectors: list[ConsumerVersionSelector] = Field(
        default_factory=list, alias="consumerVersionSelectors"
    )
    provider_version_branch: str | None = Field(default=None, alias="providerVersionBranch")
    include_pending_status: bool = Field(default=False, alias="includePendingStatus")


class VerificationRequest(BaseModel):
    """Body of a verification result publication."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    success: bool
    provider_application_version: str = Field(alias="providerApplicationVersion")
    build_url: str | None = Field(default=None, alias="buildUrl")
    test_results: Any = Field(default=None, alias="testResults")


class ContractEntry(BaseModel):
    """One contract in a `POST /contracts/publish` request."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    consumer_name: str = Field(alias="consumerName")
    provider_name: str = Field(alias="providerName")
    specification: str = "pact"
    content_type: str = Field(default="application/json", alias="contentType")
    content: str


class PublishContractsRequest(BaseModel):
    """Body of `POST /contracts/publish`, the publish endpoint of current Pact tools."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    pacticipant_name: str = Field(alias="pacticipantName")
    pacticipant_version_number: str = Field(alias="pacticipantVersionNumber")
    branch: str | None = None
    tags: list[str] = Field(default_factory=list)
    build_url: str | None = Field(default=None, alias="buildUrl")
    contracts: list[ContractEntry]


class EnvironmentRequest(BaseModel):
    """Body of `POST /environments`."""

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    name: str
    display_name: str | None = Field(default=None, alias="displayName")
    production: bool = False


def create_app(settings: BrokerSettings, store: BrokerStore | None = None) -> FastAPI:
    """Build the broker's ASGI app over `store` (opened from `settings` when not given)."""
    app = FastAPI(title="opsconsole contract broker", docs_url=None, redoc_url=None)
    app.state.store = store or BrokerStore.open(settings.database_url, settings.schema_name)
    app.include_router(_index_router())
    app.include_router(_pact_router())
    app.include_router(_pacticipant_router())
    app.include_router(_environment_router())
    app.include_router(_matrix_router())
    app.add_exception_handler(NotFoundError, _not_found)
    app.add_exception_handler(BrokerError, _bad_request)
    return app


def _store(request: Request) -> BrokerStore:
    store: BrokerStore = request.app.state.store
    return store


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _hal(body: dict[str, Any], status_code: int = 200) -> JSONResponse:
    return JSONResponse(body, status_code=status_code, media_type=HAL_JSON)


def _seg(value: str) -> str:
    return quote(value, safe="")


async def _not_found(request: Request, exc: Exception) -> JSONResponse:
    log.info("broker.not_found", method=request.method, path=request.url.path, error=str(exc))
    return _hal({"error": {"message": str(exc)}}, status_code=404)


async def _bad_request(request: Request, exc: Exception) -> JSONResponse:
    log.info("broker.rejected", method=request.method, path=request.url.path, error=str(exc))
    return _hal({"errors": {"request": [str(exc)]}}, status_code=400)


# Index


def _index_router() -> APIRouter:
    router = APIRouter()

    @router.get("/")
    def index(request: Request) -> JSONResponse:
        base = _base(request)
        links = {
            "self": {"href": base, "title": "Index"},
            "pb:publish-pact": {
                "href": f"{base}/pacts/provider/{{provider}}/consumer/{{consumer}}"
                "/version/{consumerApplicationVersion}",
                "templated": True,
            },
            "pb:publish-contracts": {"href": f"{base}/contracts/publish"},
            "pb:latest-pact-versions": {"href": f"{base}/pacts/latest"},
            "pb:pacticipants": {"href": f"{base}/pacticipants"},
            "pb:pacticipant": {"href": f"{base}/pacticipants/{{pacticipant}}", "templated": True},
            "pb:pacticipant-version": {
                "href": f"{base}/pacticipants/{{pacticipant}}/versions/{{version}}",
                "templated": True,
            },
            "pb:latest-provider-pacts": {
                "href": f"{base}/pacts/provider/{{provider}}/latest",
                "templated": True,
            },
            "pb:latest-provider-pacts-with-tag": {
                "href": f"{base}/pacts/provider/{{provider}}/latest/{{tag}}",
                "templated": True,
            },
            "pb:provider-pacts-for-verification": {
                "href": f"{base}/pacts/provider/{{provider}}/for-verification",
                "templated": True,
            },
            "pb:environments": {"href": f"{base}/environments"},
            "pb:environment": {"href": f"{base}/environments/{{uuid}}", "templated": True},
            "pb:can-i-deploy-pacticipant-version-to-environment": {
                "href": f"{base}/can-i-deploy?pacticipant={{pacticipant}}&version={{version}}"
                "&environment={{environment}}",
                "templated": True,
            },
            "pb:matrix": {"href": f"{base}/matrix"},
        }
        return _hal({"_links": links})

    return router


# Pacts


def _pact_links(base: str, pact: StoredPact) -> dict[str, Any]:
    provider, consumer = _seg(pact.provider), _seg(pact.consumer)
    pact_version = f"{base}/pacts/provider/{provider}/consumer/{consumer}/pact-version/{pact.sha}"
    return {
        "self": {
            "href": f"{base}/pacts/provider/{provider}/consumer/{consumer}"
            f"/version/{_seg(pact.consumer_version)}",
            "name": f"Pact between {pact.consumer} and {pact.provider}",
        },
        "pb:pact-version": {"href": pact_version},
        "pb:consumer": {"href": f"{base}/pacticipants/{consumer}", "name": pact.consumer},
        "pb:provider": {"href": f"{base}/pacticipants/{provider}", "name": pact.provider},
        "pb:consumer-version": {
            "href": f"{base}/pacticipants/{consumer}/versions/{_seg(pact.consumer_version)}",
            "name": pact.consumer_version,
        },
        "pb:publish-verification-results": {
            "href": f"{pact_version}/verification-results",
            "title": "Publish verification results",
        },
    }


def _pact_document(base: str, pact: StoredPact) -> dict[str, Any]:
    document = dict(pact.content)
    document["_links"] = _pact_links(base, pact)
    return document


def _selected_entry(base: str, selected: SelectedPact) -> dict[str, Any]:
    pact = selected.pact
    versions = ", ".join(selected.consumer_versions)
    notice = (
        f"The pact of {pact.consumer} (versions {versions}) is being verified because it "
        f"matches: {'; '.join(selected.reasons)}."
    )
    url = _pact_links(base, pact)["pb:pact-version"]["href"]
    return {
        "shortDescription": "; ".join(selected.reasons),
        "verificationProperties": {
            "pending": False,
            "notices": [{"when": "before_verification", "text": notice}],
        },
        "_links": {
            "self": {"href": url, "name": f"Pact between {pact.consumer} and {pact.provider}"}
        },
    }


def _pact_router() -> APIRouter:
    router = APIRouter()
    pair = "/pacts/provider/{provider}/consumer/{consumer}"

    @router.put(pair + "/version/{version}")
    def publish_pact(
        request: Request,
        provider: str,
        consumer: str,
        version: str,
        content: dict[str, Any] = Body(...),
    ) -> JSONResponse:
        content.pop("_links", None)
        pact, created = _store(request).publish_pact(consumer, provider, version, content)
        log.info("broker.pact_published", consumer=consumer, provider=provider, version=version)
        return _hal(_pact_document(_base(request), pact), status_code=201 if created else 200)

    @router.get(pair + "/version/{version}")
    def pact_for_version(
        request: Request, provider: str, consumer: str, version: str
    ) -> JSONResponse:
        pact = _store(request).pact_for_version(provider, consumer, version)
        return _hal(_pact_document(_base(request), pact))

    @router.get(pair + "/pact-version/{sha}")
    def pact_for_sha(request: Request, provider: str, consumer: str, sha: str) -> JSONResponse:
        pact = _store(request).pact_for_sha(provider, consumer, sha)
        return _hal(_pact_document(_base(request), pact))

    @router.get(pair + "/latest")
    @router.get(pair + "/latest/{tag}")
    def latest_pact(
        request: Request, provider: str, consumer: str, tag: str | None = None
    ) -> JSONResponse:
        found = _store(request).latest_pacts(provider, consumer, tag)
        if not found:
            raise NotFoundError(f"No pact between {consumer!r} and {provider!r}.")
        return _hal(_pact_document(_base(request), found[0]))

    @router.post(pair + "/pact-version/{sha}/verification-results")
    def publish_verification(
        request: Request, provider: str, consumer: str, sha: str, body: VerificationRequest
    ) -> JSONResponse:
        record = _store(request).record_verification(
            provider,
            consumer,
            sha,
            body.provider_application_version,
            success=body.success,
            build_url=body.build_url,
            test_results=body.test_results,
        )
        log.info(
            "broker.verification_recorded",
            consumer=consumer,
            provider=provider,
            provider_version=record.provider_version,
            success=record.success,
        )
        base = _base(request)
        href = f"{base}{pair}/pact-version/{sha}/verification-results/{record.id}".format(
            provider=_seg(provider), consumer=_seg(consumer)
        )
        body_out = {
            "success": record.success,
            "providerApplicationVersion": record.provider_version,
            "verificationDate": record.verified_at.isoformat(),
            "_links": {"self": {"href": href}},
        }
        return _hal(body_out, status_code=201)

    @router.get(pair + "/pact-version/{sha}/verification-results")
    def list_verifications(
        request: Request, provider: str, consumer: str, sha: str
    ) -> JSONResponse:
        records = _store(request).verifications(provider, consumer, sha)
        return _hal({"verificationResults": [r.model_dump(mode="json") for r in records]})

    @router.get("/pacts/provider/{provider}/latest")
    @router.get("/pacts/provider/{provider}/latest/{tag}")
    def latest_provider_pacts(
        request: Request, provider: str, tag: str | None = None
    ) -> JSONResponse:
        base = _base(request)
        found = _store(request).latest_pacts(provider, None, tag)
        links = [
            {"href": _pact_links(base, p)["pb:pact-version"]["href"], "name": p.consumer}
            for p in found
        ]
        return _hal({"_links": {"self": {"href": str(request.url)}, "pb:pacts": links}})

    @router.get("/pacts/provider/{provider}/for-verification")
    def for_verification_resource(request: Request, provider: str) -> JSONResponse:
        # Verifiers GET this resource first and POST their selectors to its `self` link.
        href = str(request.url)
        return _hal({"_links": {"self": {"href": href, "title": f"Pacts for {provider}"}}})

    @router.post("/pacts/provider/{provider}/for-verification")
    def pacts_for_verification(
        request: Request, provider: str, body: ForVerificationRequest
    ) -> JSONResponse:
        selected = _store(request).pacts_for_verification(
            provider, body.consumer_version_selectors, body.provider_version_branch
        )
        base = _base(request)
        log.info("broker.pacts_for_verification", provider=provider, count=len(selected))
        return _hal({"_embedded": {"pacts": [_selected_entry(base, s) for s in selected]}})

    @router.post("/contracts/publish")
    def publish_contracts(request: Request, body: PublishContractsRequest) -> JSONResponse:
        return _hal(_publish_contracts(request, body))

    return router


def _publish_contracts(request: Request, body: PublishContractsRequest) -> dict[str, Any]:
    store = _store(request)
    notices: list[dict[str, str]] = []
    links: list[dict[str, str]] = []
    base = _base(request)
    for contract in body.contracts:
        if contract.specification != "pact":
            raise BrokerError(
                f"Contract specification {contract.specification!r} is not supported; "
                "this broker stores pacts only."
            )
        content = _decode_contract(contract)
        pact, created = store.publish_pact(
            contract.consumer_name,
            contract.provider_name,
            body.pacticipant_version_number,
            content,
            branch=body.branch,
            tags=body.tags,
            build_url=body.build_url,
        )
        verb = "Created" if created else "Updated"
        notices.append(
            {
                "type": "success",
                "text": f"{verb} {pact.consumer} version {pact.consumer_version} pact with "
                f"{pact.provider}.",
            }
        )
        links.append({"href": _pact_links(base, pact)["self"]["href"], "name": pact.provider})
    return {"notices": notices, "_links": {"pb:pacticipant-version": {}, "pb:contracts": links}}


def _decode_contract(contract: ContractEntry) -> dict[str, Any]:
    try:
        decoded = json.loads(base64.b64decode(contract.content, validate=True))
    except (binascii.Error, ValueError) as exc:
        raise BrokerError(
            f"The contract between {contract.consumer_name} and {contract.provider_name} is "
            "not base64-encoded JSON; encode the pact file with base64."
        ) from exc
    if not isinstance(decoded, dict):
        raise BrokerError("A pact must be a JSON object.")
    return decoded


# Pacticipants, versions, branches and tags


def _pacticipant_router() -> APIRouter:
    router = APIRouter()

    @router.get("/pacticipants")
    def pacticipants(request: Request) -> JSONResponse:
        base = _base(request)
        names = _store(request).pacticipant_names()
        items = [
            {"name": n, "_links": {"self": {"href": f"{base}/pacticipants/{_seg(n)}"}}}
            for n in names
        ]
        return _hal({"_embedded": {"pacticipants": items}})

    @router.get("/pacticipants/{name}")
    def pacticipant(request: Request, name: str) -> JSONResponse:
        if name not in _store(request).pacticipant_names():
            raise NotFoundError(f"Pacticipant {name!r} is unknown to the broker.")
        return _hal(_pacticipant_body(_base(request), name))

    @router.patch("/pacticipants/{name}")
    @router.put("/pacticipants/{name}")
    def update_pacticipant(
        request: Request, name: str, body: dict[str, Any] = Body(...)
    ) -> JSONResponse:
        main_branch = body.get("mainBranch")
        _store(request).ensure_pacticipant(
            name, main_branch if isinstance(main_branch, str) else None
        )
        return _hal(_pacticipant_body(_base(request), name))

    @router.get("/pacticipants/{name}/versions/{version}")
    def version(request: Request, name: str, version: str) -> JSONResponse:
        info = _store(request).version_info(name, version)
        return _hal(_version_body(request, name, version, info))

    @router.put("/pacticipants/{name}/versions/{version}/tags/{tag}")
    def tag_version(request: Request, name: str, version: str, tag: str) -> JSONResponse:
        _store(request).ensure_version(name, version, tags=[tag])
        return _hal({"name": tag, "_links": {"self": {"href": str(request.url)}}}, status_code=201)

    @router.put("/pacticipants/{name}/branches/{branch}/versions/{version}")
    def branch_version(request: Request, name: str, branch: str, version: str) -> JSONResponse:
        _store(request).ensure_version(name, version, branch=branch)
        return _hal({"_links": {"self": {"href": str(request.url)}}}, status_code=201)

    @router.post("/pacticipants/{name}/versions/{version}/deployed-versions/environment/{env}")
    def record_deployment(
        request: Request,
        name: str,
        version: str,
        env: str,
        body: dict[str, Any] | None = Body(None),
    ) -> JSONResponse:
        target = (body or {}).get("target")
        record = _store(request).record_deployment(name, version, env, target)
        log.info(
            "broker.deployment_recorded",
            pacticipant=name,
            version=version,
            environment=record.environment,
        )
        return _hal(record.model_dump(mode="json"), status_code=201)

    return router


def _pacticipant_body(base: str, name: str) -> dict[str, Any]:
    href = f"{base}/pacticipants/{_seg(name)}"
    return {
        "name": name,
        "_links": {
            "self": {"href": href},
            "pb:version": {"href": f"{href}/versions/{{version}}", "templated": True},
            "pb:version-tag": {
                "href": f"{href}/versions/{{version}}/tags/{{tag}}",
                "templated": True,
            },
            "pb:branch-version": {
                "href": f"{href}/branches/{{branch}}/versions/{{version}}",
                "templated": True,
            },
        },
    }


def _version_body(
    request: Request, name: str, version: str, info: dict[str, Any]
) -> dict[str, Any]:
    base = _base(request)
    href = f"{base}/pacticipants/{_seg(name)}/versions/{_seg(version)}"
    record = [
        {
            "title": f"Record deployment to {env.display_name or env.name}",
            "name": env.name,
            "href": f"{href}/deployed-versions/environment/{env.uuid}",
        }
        for env in _store(request).environments()
    ]
    return {**info, "_links": {"self": {"href": href}, "pb:record-deployment": record}}


# Environments and deployments


def _environment_router() -> APIRouter:
    router = APIRouter()

    @router.post("/environments")
    def create_environment(request: Request, body: EnvironmentRequest) -> JSONResponse:
        env = _store(request).create_environment(
            body.name, body.display_name, production=body.production
        )
        return _hal(_environment_body(_base(request), env.model_dump()), status_code=201)

    @router.get("/environments")
    def environments(request: Request) -> JSONResponse:
        base = _base(request)
        items = [
            _environment_body(base, env.model_dump()) for env in _store(request).environments()
        ]
        return _hal({"_embedded": {"environments": items}})

    @router.get("/environments/{uuid}")
    def environment(request: Request, uuid: str) -> JSONResponse:
        env = _store(request).environment(uuid)
        return _hal(_environment_body(_base(request), env.model_dump()))

    @router.get("/environments/{uuid}/deployed-versions/currently-deployed")
    def currently_deployed(
        request: Request, uuid: str, pacticipant: str | None = None
    ) -> JSONResponse:
        records = _store(request).currently_deployed(uuid, pacticipant)
        items = [r.model_dump(mode="json") for r in records]
        return _hal({"_embedded": {"deployedVersions": items}})

    return router


def _environment_body(base: str, env: dict[str, Any]) -> dict[str, Any]:
    href = f"{base}/environments/{env['uuid']}"
    return {
        "uuid": env["uuid"],
        "name": env["name"],
        "displayName": env["display_name"],
        "production": env["production"],
        "_links": {
            "self": {"href": href},
            "pb:currently-deployed-deployed-versions": {
                "href": f"{href}/deployed-versions/currently-deployed"
            },
        },
    }


# can-i-deploy and the matrix


def _matrix_router() -> APIRouter:
    router = APIRouter()

    @router.get("/can-i-deploy")
    def can_i_deploy_endpoint(
        request: Request, pacticipant: str, version: str, environment: str
    ) -> JSONResponse:
        decision = can_i_deploy(_store(request), pacticipant, version, environment)
        summary = {
            "deployable": decision.deployable,
            "reason": " ".join(r.message for r in decision.reasons),
            "success": sum(1 for r in decision.reasons if r.ok),
            "failed": sum(1 for r in decision.reasons if not r.ok),
        }
        body = decision.model_dump(mode="json")
        body["summary"] = summary
        return _hal(body)

    @router.get("/matrix")
    def matrix_endpoint(
        request: Request, pacticipant: str | None = None, version: str | None = None
    ) -> JSONResponse:
        params = request.query_params
        selected = params.getlist("q[][pacticipant]")
        environment = params.get("environment")
        if selected and environment:
            # The Pact Broker client's can-i-deploy asks in this form.
            versions = params.getlist("q[][version]")
            decision = can_i_deploy(
                _store(request), selected[0], versions[0] if versions else "", environment
            )
            return _hal(_broker_matrix(decision))
        name = pacticipant or (selected[0] if selected else None)
        if name is None:
            raise BrokerError(
                "The matrix needs ?pacticipant=NAME, or q[][pacticipant] with environment."
            )
        rows = matrix(_store(request), name, version)
        return _hal({"matrix": [r.model_dump(mode="json") for r in rows]})

    return router


def _broker_matrix(decision: DeployDecision) -> dict[str, Any]:
    """Render a can-i-deploy decision in the Pact Broker's matrix response format."""
    rows = []
    for row in decision.matrix:
        verification = None
        if row.success is not None:
            verified_at = row.verified_at.isoformat() if row.verified_at else None
            verification = {"success": row.success, "verifiedAt": verified_at}
        rows.append(
            {
                "consumer": {"name": row.consumer, "version": {"number": row.consumer_version}},
                "provider": {"name": row.provider, "version": {"number": row.provider_version}},
                "pact": {"sha": row.pact_sha},
                "verificationResult": verification,
            }
        )
    return {
        "summary": {
            "deployable": decision.deployable,
            "reason": " ".join(r.message for r in decision.reasons),
            "success": sum(1 for r in decision.matrix if r.success),
            "failed": sum(1 for r in decision.matrix if r.success is False),
            "unknown": sum(1 for r in decision.reasons if not r.ok)
            - sum(1 for r in decision.matrix if r.success is False),
        },
        "notices": [
            {"type": "success" if r.ok else "error", "text": r.message} for r in decision.reasons
        ],
        "matrix": rows,
    }
