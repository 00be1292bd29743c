"""Read and write the broker's tables: publish pacts, record verifications and deployments.

The store is the broker's core; the HTTP API in `opsconsole.broker.app` and the CLI are thin
shells over it. SQLite (one file) is the default; a PostgreSQL URL works the same, and an
optional schema name keeps several brokers apart in one database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, event, text
from sqlmodel import Session, SQLModel, col, create_engine, select

from opsconsole.broker.models import (
    DeployedVersion,
    Environment,
    PactContent,
    Pacticipant,
    PacticipantVersion,
    PactPublication,
    Verification,
    VersionTag,
)
from opsconsole.errors import ConfigError, OpsconsoleError

_SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


class BrokerError(OpsconsoleError):
    """A broker request names something that does not exist or is invalid."""


class NotFoundError(BrokerError):
    """A pacticipant, version, pact or environment named in a request does not exist."""


class StoredPact(BaseModel):
    """A pact as the broker holds it, with the consumer version that published it."""

    consumer: str
    provider: str
    consumer_version: str
    consumer_branch: str | None = None
    sha: str
    content: dict[str, Any]
    published_at: datetime


class VerificationRecord(BaseModel):
    """A recorded verification of one pact content by one provider version."""

    id: int
    consumer: str
    provider: str
    sha: str
    provider_version: str
    success: bool
    verified_at: datetime
    build_url: str | None = None
    test_results: Any = None


class ConsumerVersionSelector(BaseModel):
    """Which consumer versions' pacts a provider verifies; field names follow the Pact Broker."""

    consumer: str | None = None
    mainBranch: bool | None = None
    branch: str | None = None
    matchingBranch: bool | None = None
    tag: str | None = None
    latest: bool | None = None
    deployed: bool | None = None
    released: bool | None = None
    deployedOrReleased: bool | None = None
    environment: str | None = None


class SelectedPact(BaseModel):
    """A pact chosen for verification and the consumer versions that published its content."""

    pact: StoredPact
    consumer_versions: list[str]
    reasons: list[str]


class EnvironmentRecord(BaseModel):
    """An environment as the API and CLI show it."""

    uuid: str
    name: str
    display_name: str | None
    production: bool


class DeploymentRecord(BaseModel):
    """A version currently or formerly deployed to an environment."""

    uuid: str
    pacticipant: str
    version: str
    environment: str
    target: str | None
    deployed_at: datetime
    undeployed_at: datetime | None


def content_sha(content: dict[str, Any]) -> str:
    """Return the SHA-256 of `content` serialised as canonical JSON."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def open_engine(database_url: str, schema: str | None = None) -> Engine:
    """Create the SQLAlchemy engine and the broker's tables.

    Raises:
        ConfigError: the schema name is invalid, or it is given for a database other than
            PostgreSQL.
    """
    is_postgres = database_url.startswith("postgresql")
    if schema is not None and not (_SCHEMA_NAME.match(schema) and is_postgres):
        raise ConfigError(
            f"Broker schema {schema!r} is invalid: a schema is supported on PostgreSQL only "
            "and must be lower-case letters, digits and underscores."
        )
    connect_args: dict[str, Any] = {}
    if database_url.startswith("sqlite"):
        connect_args["check_same_thread"] = False
    if schema is not None:
        _create_schema(database_url, schema)
        # Set at connect time, so every pooled connection sees only this schema.
        connect_args["options"] = f"-csearch_path={schema}"
    engine = create_engine(database_url, connect_args=connect_args)
    if database_url.startswith("sqlite"):
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    SQLModel.metadata.create_all(engine, tables=_broker_tables())
    return engine


def _broker_tables() -> list[Any]:
    return [t for name, t in SQLModel.metadata.tables.items() if name.startswith("broker_")]


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _create_schema(database_url: str, schema: str) -> None:
    admin = create_engine(database_url)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    finally:
        admin.dispose()


class BrokerStore:
    """The broker's operations over one database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, database_url: str, schema: str | None = None) -> BrokerStore:
        """Open (and create if needed) the broker database at `database_url`."""
        return cls(open_engine(database_url, schema))

    @contextmanager
    def session(self) -> Iterator[Session]:
        """Yield a session that commits on success and rolls back on error."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    # Pacticipants and versions

    def pacticipant_names(self) -> list[str]:
        """Return the names of every pacticipant, sorted."""
        with self.session() as session:
            return sorted(p.name for p in session.exec(select(Pacticipant)))

    def ensure_pacticipant(self, name: str, main_branch: str | None = None) -> None:
        """Create the pacticipant `name` if needed and set its main branch when given."""
        with self.session() as session:
            row = _pacticipant(session, name, create=True)
            if main_branch:
                row.main_branch = main_branch
                session.add(row)

    def ensure_version(
        self,
        pacticipant: str,
        version: str,
        *,
        branch: str | None = None,
        tags: Sequence[str] = (),
        build_url: str | None = None,
    ) -> None:
        """Create the version if needed, then set its branch and add its tags."""
        with self.session() as session:
            _version(session, pacticipant, version, branch=branch, tags=tags, build_url=build_url)

    def version_info(self, pacticipant: str, version: str) -> dict[str, Any]:
        """Return a version's branch, tags and creation time.

        Raises:
            NotFoundError: the pacticipant or version does not exist.
        """
        with self.session() as session:
            row = _existing_version(session, pacticipant, version)
            tags = session.exec(select(VersionTag.name).where(VersionTag.version_id == row.id))
            return {
                "number": row.number,
                "branch": row.branch,
                "buildUrl": row.build_url,
                "tags": sorted(tags),
                "createdAt": row.created_at.isoformat(),
            }

    # Pacts

    def publish_pact(
        self,
        consumer: str,
        provider: str,
        consumer_version: str,
        content: dict[str, Any],
        *,
        branch: str | None = None,
        tags: Sequence[str] = (),
        build_url: str | None = None,
    ) -> tuple[StoredPact, bool]:
        """Store the pact `consumer_version` of `consumer` holds with `provider`.

        Returns:
            The stored pact and whether it is new (False when the version republished).
        """
        sha = content_sha(content)
        with self.session() as session:
            version = _version(
                session, consumer, consumer_version, branch=branch, tags=tags, build_url=build_url
            )
            provider_row = _pacticipant(session, provider, create=True)
            stored = _content(session, sha, content, version.pacticipant_id, provider_row)
            publication = session.exec(
                select(PactPublication).where(
                    PactPublication.consumer_version_id == version.id,
                    PactPublication.provider_id == provider_row.id,
                )
            ).first()
            created = publication is None
            if publication is None:
                publication = PactPublication(
                    consumer_version_id=_id(version), provider_id=_id(provider_row), content_id=0
                )
            publication.content_id = _id(stored)
            publication.created_at = datetime.now(UTC)
            session.add(publication)
            session.flush()
            return _stored_pact(session, publication), created

    def pact_for_version(self, provider: str, consumer: str, version: str) -> StoredPact:
        """Return the pact that `version` of `consumer` published for `provider`.

        Raises:
            NotFoundError: no such pact.
        """
        with self.session() as session:
            for publication in _publications(session, provider, consumer):
                if _version_of(session, publication).number == version:
                    return _stored_pact(session, publication)
        raise NotFoundError(
            f"No pact between consumer {consumer!r} version {version!r} and provider "
            f"{provider!r}. Publish it first."
        )

    def pact_for_sha(self, provider: str, consumer: str, sha: str) -> StoredPact:
        """Return the newest publication of the pact content `sha`.

        Raises:
            NotFoundError: no such pact content for this pair.
        """
        with self.session() as session:
            matches = [
                p
                for p in _publications(session, provider, consumer)
                if session.get(PactContent, p.content_id).sha == sha  # type: ignore[union-attr]
            ]
            if matches:
                return _stored_pact(session, matches[-1])
        raise NotFoundError(
            f"No pact content {sha} between consumer {consumer!r} and provider {provider!r}."
        )

    def latest_pacts(
        self, provider: str, consumer: str | None = None, tag: str | None = None
    ) -> list[StoredPact]:
        """Return the latest pact of each consumer of `provider` (optionally with `tag`)."""
        with self.session() as session:
            latest: dict[str, PactPublication] = {}
            for publication in _publications(session, provider, consumer):
                version = _version_of(session, publication)
                if tag is not None and tag not in _tags(session, version):
                    continue
                latest[_consumer_name(session, version)] = publication
            return [_stored_pact(session, p) for p in latest.values()]

    def pacts_for_verification(
        self,
        provider: str,
        selectors: Sequence[ConsumerVersionSelector],
        provider_branch: str | None = None,
    ) -> list[SelectedPact]:
        """Select the pacts `provider` must verify, one entry per distinct content.

        With no selectors, the latest pact of each consumer is selected.
        """
        chosen = selectors or [ConsumerVersionSelector(latest=True)]
        with self.session() as session:
            publications = _publications(session, provider, None)
            selected: dict[str, SelectedPact] = {}
            for selector in chosen:
                for publication, reason in _select(
                    session, publications, selector, provider_branch
                ):
                    _add_selected(session, selected, publication, reason)
            return list(selected.values())

    # Verifications

    def record_verification(
        self,
        provider: str,
        consumer: str,
        sha: str,
        provider_version: str,
        *,
        success: bool,
        branch: str | None = None,
        tags: Sequence[str] = (),
        build_url: str | None = None,
        test_results: Any = None,
    ) -> VerificationRecord:
        """Record that `provider_version` verified (or failed) the pact content `sha`.

        Raises:
            NotFoundError: no such pact content for this consumer and provider.
        """
        with self.session() as session:
            stored = session.exec(select(PactContent).where(PactContent.sha == sha)).first()
            if stored is None or not _content_is_between(session, stored, consumer, provider):
                raise NotFoundError(
                    f"No pact content {sha} between consumer {consumer!r} and provider "
                    f"{provider!r}; verification results need a published pact."
                )
            version = _version(session, provider, provider_version, branch=branch, tags=tags)
            row = Verification(
                content_id=_id(stored),
                provider_version_id=_id(version),
                success=success,
                build_url=build_url,
                test_results=None if test_results is None else json.dumps(test_results),
            )
            session.add(row)
            session.flush()
            return _verification_record(session, row)

    def verifications(self, provider: str, consumer: str, sha: str) -> list[VerificationRecord]:
        """Return every verification of the pact content `sha`, oldest first."""
        with self.session() as session:
            stored = session.exec(select(PactContent).where(PactContent.sha == sha)).first()
            if stored is None or not _content_is_between(session, stored, consumer, provider):
                return []
            rows = session.exec(
                select(Verification)
                .where(Verification.content_id == stored.id)
                .order_by(col(Verification.id))
            )
            return [_verification_record(session, row) for row in rows]

    # Environments and deployments

    def create_environment(
        self, name: str, display_name: str | None = None, *, production: bool = False
    ) -> EnvironmentRecord:
        """Create an environment, or return the existing one with that name unchanged."""
        with self.session() as session:
            existing = session.exec(select(Environment).where(Environment.name == name)).first()
            if existing is not None:
                return _environment_record(existing)
            row = Environment(name=name, display_name=display_name, production=production)
            session.add(row)
            session.flush()
            return _environment_record(row)

    def environments(self) -> list[EnvironmentRecord]:
        """Return every environment, sorted by name."""
        with self.session() as session:
            rows = session.exec(select(Environment).order_by(col(Environment.name)))
            return [_environment_record(row) for row in rows]

    def environment(self, name_or_uuid: str) -> EnvironmentRecord:
        """Return the environment with this name or UUID.

        Raises:
            NotFoundError: no such environment.
        """
        with self.session() as session:
            return _environment_record(_existing_environment(session, name_or_uuid))

    def record_deployment(
        self, pacticipant: str, version: str, environment: str, target: str | None = None
    ) -> DeploymentRecord:
        """Record `version` as deployed to `environment`, replacing the version there before.

        Raises:
            NotFoundError: the pacticipant, version or environment does not exist.
        """
        with self.session() as session:
            env = _existing_environment(session, environment)
            row = _existing_version(session, pacticipant, version)
            now = datetime.now(UTC)
            for previous in _current_deployments(session, env, row.pacticipant_id):
                if previous.target == target:
                    previous.undeployed_at = now
                    session.add(previous)
            deployed = DeployedVersion(
                version_id=_id(row), environment_id=_id(env), target=target, deployed_at=now
            )
            session.add(deployed)
            session.flush()
            return _deployment_record(session, deployed)

    def currently_deployed(
        self, environment: str, pacticipant: str | None = None
    ) -> list[DeploymentRecord]:
        """Return the versions currently deployed to `environment`.

        Raises:
            NotFoundError: no such environment.
        """
        with self.session() as session:
            env = _existing_environment(session, environment)
            participant_id = None
            if pacticipant is not None:
                found = _pacticipant(session, pacticipant, create=False)
                if found is None:
                    return []
                participant_id = found.id
            rows = _current_deployments(session, env, participant_id)
            return [_deployment_record(session, row) for row in rows]


# Helpers working inside one session.


def _id(row: Any) -> int:
    if row.id is None:
        raise RuntimeError(f"{type(row).__name__} has no id; flush the session first.")
    return int(row.id)


def _pacticipant(session: Session, name: str, *, create: bool) -> Pacticipant:
    found = session.exec(select(Pacticipant).where(Pacticipant.name == name)).first()
    if found is not None or not create:
        return found  # type: ignore[return-value]
    row = Pacticipant(name=name)
    session.add(row)
    session.flush()
    return row


def _version(
    session: Session,
    pacticipant: str,
    number: str,
    *,
    branch: str | None = None,
    tags: Sequence[str] = (),
    build_url: str | None = None,
) -> PacticipantVersion:
    owner = _pacticipant(session, pacticipant, create=True)
    row = session.exec(
        select(PacticipantVersion).where(
            PacticipantVersion.pacticipant_id == owner.id, PacticipantVersion.number == number
        )
    ).first()
    if row is None:
        row = PacticipantVersion(pacticipant_id=_id(owner), number=number)
    if branch:
        row.branch = branch
    if build_url:
        row.build_url = build_url
    session.add(row)
    session.flush()
    existing = _tags(session, row)
    for tag in dict.fromkeys(tags):
        if tag not in existing:
            session.add(VersionTag(version_id=_id(row), name=tag))
    session.flush()
    return row


def _existing_version(session: Session, pacticipant: str, number: str) -> PacticipantVersion:
    owner = _pacticipant(session, pacticipant, create=False)
    if owner is None:
        raise NotFoundError(f"Pacticipant {pacticipant!r} is unknown to the broker.")
    row = session.exec(
        select(PacticipantVersion).where(
            PacticipantVersion.pacticipant_id == owner.id, PacticipantVersion.number == number
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"Version {number!r} of {pacticipant!r} is unknown to the broker. Publish its "
            "pacts or verification results first."
        )
    return row


def _tags(session: Session, version: PacticipantVersion) -> set[str]:
    return set(session.exec(select(VersionTag.name).where(VersionTag.version_id == version.id)))


def _content(
    session: Session, sha: str, content: dict[str, Any], consumer_id: int, provider: Pacticipant
) -> PactContent:
    found = session.exec(select(PactContent).where(PactContent.sha == sha)).first()
    if found is not None:
        return found
    row = PactContent(
        sha=sha,
        consumer_id=consumer_id,
        provider_id=_id(provider),
        body=json.dumps(content, sort_keys=True),
    )
    session.add(row)
    session.flush()
    return row


def _content_is_between(
    session: Session, stored: PactContent, consumer: str, provider: str
) -> bool:
    consumer_row = session.get(Pacticipant, stored.consumer_id)
    provider_row = session.get(Pacticipant, stored.provider_id)
    return (
        consumer_row is not None
        and provider_row is not None
        and consumer_row.name == consumer
        and provider_row.name == provider
    )


def _publications(session: Session, provider: str, consumer: str | None) -> list[PactPublication]:
    """Return the publications for `provider`, oldest consumer version first."""
    provider_row = _pacticipant(session, provider, create=False)
    if provider_row is None:
        return []
    query = (
        select(PactPublication)
        .join(PacticipantVersion, col(PacticipantVersion.id) == PactPublication.consumer_version_id)
        .where(PactPublication.provider_id == provider_row.id)
        .order_by(col(PacticipantVersion.id))
    )
    if consumer is not None:
        consumer_row = _pacticipant(session, consumer, create=False)
        if consumer_row is None:
            return []
        query = query.where(PacticipantVersion.pacticipant_id == consumer_row.id)
    return list(session.exec(query))


def _version_of(session: Session, publication: PactPublication) -> PacticipantVersion:
    version = session.get(PacticipantVersion, publication.consumer_version_id)
    assert version is not None  # enforced by the foreign key
    return version


def _consumer_name(session: Session, version: PacticipantVersion) -> str:
    owner = session.get(Pacticipant, version.pacticipant_id)
    assert owner is not None  # enforced by the foreign key
    return owner.name


def _stored_pact(session: Session, publication: PactPublication) -> StoredPact:
    version = _version_of(session, publication)
    stored = session.get(PactContent, publication.content_id)
    provider = session.get(Pacticipant, publication.provider_id)
    assert stored is not None and provider is not None  # enforced by foreign keys
    return StoredPact(
        consumer=_consumer_name(session, version),
        provider=provider.name,
        consumer_version=version.number,
        consumer_branch=version.branch,
        sha=stored.sha,
        content=json.loads(stored.body),
        published_at=publication.created_at,
    )


def _select(
    session: Session,
    publications: list[PactPublication],
    selector: ConsumerVersionSelector,
    provider_branch: str | None,
) -> list[tuple[PactPublication, str]]:
    """Return the publications one selector picks, each with the reason it was picked."""
    candidates = publications
    if selector.consumer:
        candidates = [
            p
            for p in candidates
            if _consumer_name(session, _version_of(session, p)) == selector.consumer
        ]
    picked: list[tuple[PactPublication, str]] = []
    latest_only = True
    if selector.deployed or selector.released or selector.deployedOrReleased:
        deployed_ids = _deployed_version_ids(session, selector.environment)
        where = f" in {selector.environment}" if selector.environment else ""
        picked = [
            (p, f"deployed{where}") for p in candidates if p.consumer_version_id in deployed_ids
        ]
        latest_only = False
    elif selector.mainBranch:
        picked = [
            (p, "latest from the main branch") for p in candidates if _on_main_branch(session, p)
        ]
    elif selector.branch or selector.matchingBranch:
        branch = selector.branch or provider_branch
        picked = [
            (p, f"latest from branch {branch!r}")
            for p in candidates
            if branch is not None and _version_of(session, p).branch == branch
        ]
        latest_only = selector.latest is not False
    elif selector.tag:
        picked = [
            (p, f"tagged {selector.tag!r}")
            for p in candidates
            if selector.tag in _tags(session, _version_of(session, p))
        ]
        latest_only = bool(selector.latest)
    else:
        picked = [(p, "latest") for p in candidates]
    return _latest_per_consumer(session, picked) if latest_only else picked


def _latest_per_consumer(
    session: Session, picked: list[tuple[PactPublication, str]]
) -> list[tuple[PactPublication, str]]:
    latest: dict[str, tuple[PactPublication, str]] = {}
    for publication, reason in picked:
        latest[_consumer_name(session, _version_of(session, publication))] = (publication, reason)
    return list(latest.values())


def _on_main_branch(session: Session, publication: PactPublication) -> bool:
    version = _version_of(session, publication)
    owner = session.get(Pacticipant, version.pacticipant_id)
    return (
        owner is not None and owner.main_branch is not None and owner.main_branch == version.branch
    )


def _deployed_version_ids(session: Session, environment: str | None) -> set[int]:
    query = select(DeployedVersion).where(col(DeployedVersion.undeployed_at).is_(None))
    if environment is not None:
        env = session.exec(select(Environment).where(Environment.name == environment)).first()
        if env is None:
            return set()
        query = query.where(DeployedVersion.environment_id == env.id)
    return {row.version_id for row in session.exec(query)}


def _add_selected(
    session: Session, selected: dict[str, SelectedPact], publication: PactPublication, reason: str
) -> None:
    pact = _stored_pact(session, publication)
    entry = selected.get(pact.sha)
    if entry is None:
        selected[pact.sha] = SelectedPact(pact=pact, consumer_versions=[], reasons=[])
        entry = selected[pact.sha]
    if pact.consumer_version not in entry.consumer_versions:
        entry.consumer_versions.append(pact.consumer_version)
    if reason not in entry.reasons:
        entry.reasons.append(reason)


def _verification_record(session: Session, row: Verification) -> VerificationRecord:
    stored = session.get(PactContent, row.content_id)
    version = session.get(PacticipantVersion, row.provider_version_id)
    assert stored is not None and version is not None  # enforced by foreign keys
    consumer = session.get(Pacticipant, stored.consumer_id)
    provider = session.get(Pacticipant, stored.provider_id)
    assert consumer is not None and provider is not None
    return VerificationRecord(
        id=_id(row),
        consumer=consumer.name,
        provider=provider.name,
        sha=stored.sha,
        provider_version=version.number,
        success=row.success,
        verified_at=row.verified_at,
        build_url=row.build_url,
        test_results=None if row.test_results is None else json.loads(row.test_results),
    )


def _environment_record(row: Environment) -> EnvironmentRecord:
    return EnvironmentRecord(
        uuid=row.uuid, name=row.name, display_name=row.display_name, production=row.production
    )


def _existing_environment(session: Session, name_or_uuid: str) -> Environment:
    row = session.exec(
        select(Environment).where(
            (Environment.name == name_or_uuid) | (Environment.uuid == name_or_uuid)
        )
    ).first()
    if row is None:
        raise NotFoundError(
            f"Environment {name_or_uuid!r} is unknown to the broker. Create it with "
            "`opsconsole broker create-environment NAME`."
        )
    return row


def _current_deployments(
    session: Session, env: Environment, pacticipant_id: int | None
) -> list[DeployedVersion]:
    query = (
        select(DeployedVersion)
        .where(DeployedVersion.environment_id == env.id)
        .where(col(DeployedVersion.undeployed_at).is_(None))
        .order_by(col(DeployedVersion.id))
    )
    rows = list(session.exec(query))
    if pacticipant_id is None:
        return rows
    return [
        r
        for r in rows
        if session.get(PacticipantVersion, r.version_id).pacticipant_id == pacticipant_id  # type: ignore[union-attr]
    ]


def _deployment_record(session: Session, row: DeployedVersion) -> DeploymentRecord:
    version = session.get(PacticipantVersion, row.version_id)
    env = session.get(Environment, row.environment_id)
    assert version is not None and env is not None  # enforced by foreign keys
    owner = session.get(Pacticipant, version.pacticipant_id)
    assert owner is not None
    return DeploymentRecord(
        uuid=row.uuid,
        pacticipant=owner.name,
        version=version.number,
        environment=env.name,
        target=row.target,
        deployed_at=row.deployed_at,
        undeployed_at=row.undeployed_at,
    )
