"""The verification matrix and the can-i-deploy decision built from it.

A row pairs a consumer version's pact with a provider version that verified it (or with
none). A version may go to an environment when, in both directions, every pact with the
versions currently deployed there has a successful verification.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlmodel import Session, col, select

from opsconsole.broker.models import (
    DeployedVersion,
    Environment,
    PactContent,
    Pacticipant,
    PacticipantVersion,
    PactPublication,
    Verification,
)
from opsconsole.broker.store import BrokerStore, NotFoundError


class MatrixRow(BaseModel):
    """A consumer version's pact and one provider version's verification of it."""

    consumer: str
    consumer_version: str
    provider: str
    provider_version: str | None
    pact_sha: str
    success: bool | None
    verified_at: datetime | None = None


class DeployReason(BaseModel):
    """One finding behind a can-i-deploy answer."""

    ok: bool
    message: str


class DeployDecision(BaseModel):
    """The can-i-deploy answer for one version and environment, with its reasons."""

    pacticipant: str
    version: str
    environment: str
    deployable: bool
    reasons: list[DeployReason]
    matrix: list[MatrixRow]


def matrix(store: BrokerStore, pacticipant: str, version: str | None = None) -> list[MatrixRow]:
    """Return every row in which `pacticipant` (optionally one version) is consumer or provider."""
    with store.session() as session:
        owner = session.exec(select(Pacticipant).where(Pacticipant.name == pacticipant)).first()
        if owner is None:
            return []
        rows: list[MatrixRow] = []
        for publication in session.exec(select(PactPublication).order_by(col(PactPublication.id))):
            consumer_version = _version(session, publication.consumer_version_id)
            involved = owner.id in (consumer_version.pacticipant_id, publication.provider_id)
            if not involved:
                continue
            rows.extend(_rows_for(session, publication, owner.id, version))
        return rows


def can_i_deploy(
    store: BrokerStore, pacticipant: str, version: str, environment: str
) -> DeployDecision:
    """Decide whether `version` of `pacticipant` may be deployed to `environment`.

    Raises:
        NotFoundError: the environment does not exist.
    """
    decision = DeployDecision(
        pacticipant=pacticipant,
        version=version,
        environment=environment,
        deployable=False,
        reasons=[],
        matrix=[],
    )
    with store.session() as session:
        env = session.exec(select(Environment).where(Environment.name == environment)).first()
        if env is None:
            raise NotFoundError(
                f"Environment {environment!r} is unknown to the broker. Create it with "
                "`opsconsole broker create-environment NAME`."
            )
        row = _find_version(session, pacticipant, version)
        if row is None:
            decision.reasons.append(
                DeployReason(
                    ok=False,
                    message=f"Version {version} of {pacticipant} is unknown to the broker; "
                    "publish its pacts or verification results first.",
                )
            )
            return decision
        _check_as_consumer(session, row, env, decision)
        _check_as_provider(session, row, env, decision)

    if not decision.reasons:
        decision.reasons.append(
            DeployReason(
                ok=True,
                message=f"No pact involves {pacticipant} version {version} and the versions "
                f"in {environment}.",
            )
        )
    decision.deployable = all(reason.ok for reason in decision.reasons)
    return decision


def _check_as_consumer(
    session: Session, version: PacticipantVersion, env: Environment, decision: DeployDecision
) -> None:
    """Check each pact `version` holds against the provider versions deployed to `env`."""
    publications = session.exec(
        select(PactPublication).where(PactPublication.consumer_version_id == version.id)
    )
    for publication in publications:
        provider = _pacticipant(session, publication.provider_id)
        deployed = _deployed_versions(session, env, provider.id)
        if not deployed:
            decision.reasons.append(
                DeployReason(
                    ok=False,
                    message=f"No version of provider {provider.name} is deployed to "
                    f"{env.name}, so the pact of {decision.pacticipant} {decision.version} "
                    "with it cannot have been verified there.",
                )
            )
            continue
        for provider_version in deployed:
            _judge(session, publication, version, provider_version, decision)


def _check_as_provider(
    session: Session, version: PacticipantVersion, env: Environment, decision: DeployDecision
) -> None:
    """Check the pacts of consumer versions deployed to `env` against `version` as provider."""
    for consumer_version in _deployed_versions(session, env, None):
        if consumer_version.pacticipant_id == version.pacticipant_id:
            continue
        publication = session.exec(
            select(PactPublication).where(
                PactPublication.consumer_version_id == consumer_version.id,
                PactPublication.provider_id == version.pacticipant_id,
            )
        ).first()
        if publication is not None:
            _judge(session, publication, consumer_version, version, decision)


def _judge(
    session: Session,
    publication: PactPublication,
    consumer_version: PacticipantVersion,
    provider_version: PacticipantVersion,
    decision: DeployDecision,
) -> None:
    content = session.get(PactContent, publication.content_id)
    assert content is not None  # enforced by the foreign key
    verification = _latest_verification(session, content, provider_version)
    consumer = _pacticipant(session, consumer_version.pacticipant_id).name
    provider = _pacticipant(session, provider_version.pacticipant_id).name
    decision.matrix.append(
        MatrixRow(
            consumer=consumer,
            consumer_version=consumer_version.number,
            provider=provider,
            provider_version=provider_version.number,
            pact_sha=content.sha,
            success=None if verification is None else verification.success,
            verified_at=None if verification is None else verification.verified_at,
        )
    )
    pair = f"{consumer} {consumer_version.number} and {provider} {provider_version.number}"
    if verification is None:
        message = f"The pact between {pair} has not been verified."
    elif verification.success:
        message = f"The pact between {pair} was verified successfully."
    else:
        message = f"The verification of the pact between {pair} failed."
    ok = verification is not None and verification.success
    decision.reasons.append(DeployReason(ok=ok, message=message))


def _rows_for(
    session: Session, publication: PactPublication, owner_id: int | None, version: str | None
) -> list[MatrixRow]:
    consumer_version = _version(session, publication.consumer_version_id)
    content = session.get(PactContent, publication.content_id)
    assert content is not None
    consumer = _pacticipant(session, consumer_version.pacticipant_id).name
    provider = _pacticipant(session, publication.provider_id).name
    verifications = session.exec(
        select(Verification)
        .where(Verification.content_id == content.id)
        .order_by(col(Verification.id))
    ).all()
    rows = [
        MatrixRow(
            consumer=consumer,
            consumer_version=consumer_version.number,
            provider=provider,
            provider_version=_version(session, v.provider_version_id).number,
            pact_sha=content.sha,
            success=v.success,
            verified_at=v.verified_at,
        )
        for v in verifications
    ] or [
        MatrixRow(
            consumer=consumer,
            consumer_version=consumer_version.number,
            provider=provider,
            provider_version=None,
            pact_sha=content.sha,
            success=None,
        )
    ]
    if version is None:
        return rows
    own_side_is_consumer = consumer_version.pacticipant_id == owner_id
    return [
        r
        for r in rows
        if (r.consumer_version if own_side_is_consumer else r.provider_version) == version
    ]


def _latest_verification(
    session: Session, content: PactContent, provider_version: PacticipantVersion
) -> Verification | None:
    return session.exec(
        select(Verification)
        .where(
            Verification.content_id == content.id,
            Verification.provider_version_id == provider_version.id,
        )
        .order_by(col(Verification.id).desc())
    ).first()


def _deployed_versions(
    session: Session, env: Environment, pacticipant_id: int | None
) -> list[PacticipantVersion]:
    rows = session.exec(
        select(DeployedVersion)
        .where(DeployedVersion.environment_id == env.id)
        .where(col(DeployedVersion.undeployed_at).is_(None))
    )
    versions = [_version(session, row.version_id) for row in rows]
    if pacticipant_id is None:
        return versions
    return [v for v in versions if v.pacticipant_id == pacticipant_id]


def _find_version(session: Session, pacticipant: str, number: str) -> PacticipantVersion | None:
    owner = session.exec(select(Pacticipant).where(Pacticipant.name == pacticipant)).first()
    if owner is None:
        return None
    return session.exec(
        select(PacticipantVersion).where(
            PacticipantVersion.pacticipant_id == owner.id, PacticipantVersion.number == number
        )
    ).first()


def _version(session: Session, version_id: int) -> PacticipantVersion:
    row = session.get(PacticipantVersion, version_id)
    assert row is not None  # enforced by foreign keys
    return row


def _pacticipant(session: Session, pacticipant_id: int) -> Pacticipant:
    row = session.get(Pacticipant, pacticipant_id)
    assert row is not None  # enforced by foreign keys
    return row
