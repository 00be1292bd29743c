"""SQLModel tables of the broker: pacticipants, versions, pacts, verifications, deployments.

A pact's content is stored once per distinct JSON document (keyed by its SHA-256), so a
verification of that content counts for every consumer version that published it, as in
the Pact Broker.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def _now() -> datetime:
    return datetime.now(UTC)


class Pacticipant(SQLModel, table=True):
    """An application that takes part in pacts, as consumer, provider or both."""

    __tablename__ = "broker_pacticipant"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    main_branch: str | None = None
    created_at: datetime = Field(default_factory=_now)


class PacticipantVersion(SQLModel, table=True):
    """One version of a pacticipant, usually a git commit, with the branch it was built on."""

    __tablename__ = "broker_version"
    __table_args__ = (UniqueConstraint("pacticipant_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    pacticipant_id: int = Field(foreign_key="broker_pacticipant.id", index=True)
    number: str
    branch: str | None = None
    build_url: str | None = None
    created_at: datetime = Field(default_factory=_now)


class VersionTag(SQLModel, table=True):
    """A tag on a pacticipant version (the older way to mark branches and environments)."""

    __tablename__ = "broker_tag"
    __table_args__ = (UniqueConstraint("version_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="broker_version.id", index=True)
    name: str
    created_at: datetime = Field(default_factory=_now)


class PactContent(SQLModel, table=True):
    """One distinct pact document, keyed by the SHA-256 of its canonical JSON."""

    __tablename__ = "broker_pact_content"

    id: int | None = Field(default=None, primary_key=True)
    sha: str = Field(unique=True, index=True)
    consumer_id: int = Field(foreign_key="broker_pacticipant.id")
    provider_id: int = Field(foreign_key="broker_pacticipant.id")
    body: str = Field(sa_type=Text)
    created_at: datetime = Field(default_factory=_now)


class PactPublication(SQLModel, table=True):
    """The pact a consumer version holds with one provider; republishing replaces it."""

    __tablename__ = "broker_pact_publication"
    __table_args__ = (UniqueConstraint("consumer_version_id", "provider_id"),)

    id: int | None = Field(default=None, primary_key=True)
    consumer_version_id: int = Field(foreign_key="broker_version.id", index=True)
    provider_id: int = Field(foreign_key="broker_pacticipant.id", index=True)
    content_id: int = Field(foreign_key="broker_pact_content.id")
    created_at: datetime = Field(default_factory=_now)


class Verification(SQLModel, table=True):
    """The result of verifying one pact content against one provider version."""

    __tablename__ = "broker_verification"

    id: int | None = Field(default=None, primary_key=True)
    content_id: int = Field(foreign_key="broker_pact_content.id", index=True)
    provider_version_id: int = Field(foreign_key="broker_version.id", index=True)
    success: bool
    build_url: str | None = None
    test_results: str | None = Field(default=None, sa_type=Text)
    verified_at: datetime = Field(default_factory=_now)


class Environment(SQLModel, table=True):
    """A place applications are deployed to, such as test or production."""

    __tablename__ = "broker_environment"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=lambda: str(uuid.uuid4()), unique=True, index=True)
    name: str = Field(unique=True, index=True)
    display_name: str | None = None
    production: bool = False
    created_at: datetime = Field(default_factory=_now)


class DeployedVersion(SQLModel, table=True):
    """A pacticipant version deployed to an environment; `undeployed_at` ends the record."""

    __tablename__ = "broker_deployed_version"

    id: int | None = Field(default=None, primary_key=True)
    uuid: str = Field(default_factory=lambda: str(uuid.uuid4()), unique=True, index=True)
    version_id: int = Field(foreign_key="broker_version.id", index=True)
    environment_id: int = Field(foreign_key="broker_environment.id", index=True)
    target: str | None = None
    deployed_at: datetime = Field(default_factory=_now)
    undeployed_at: datetime | None = None
