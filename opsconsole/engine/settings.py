"""Configuration of one engine instance."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from opsconsole.engine.canonical.schemas import DEFAULT_SCHEMA_DIR


class EngineSettings(BaseModel):
    """Where the engine stores its state, how it reaches the CRM and ERP, and its secrets."""

    database_url: str = Field(description="Any SQLAlchemy URL. SQLite files get WAL mode.")
    crm_base_url: str
    crm_client_id: str = "opsconsole-engine"
    crm_client_secret: str
    crm_ca_file: str | None = Field(default=None, description="PEM CA bundle for the CRM's TLS.")
    crm_api_version: str = "60.0"
    erp_base_url: str
    erp_client_id: str = "opsconsole-engine"
    erp_client_secret: str
    crm_webhook_secrets: list[str] = Field(description="Any of them verifies (rotation).")
    erp_event_secrets: list[str]
    run_worker: bool = True
    worker_poll_seconds: float = 0.05
    max_attempts: int = Field(default=6, ge=1)
    # Additions beyond the shared interface, each with a default.
    crm_user_id: str | None = Field(
        default=None,
        description="CRM user the engine writes as. Unset: read from the token response.",
    )
    retry_base_seconds: float = Field(default=0.5, gt=0, description="First retry delay.")
    retry_max_seconds: float = Field(default=60.0, gt=0, description="Longest retry delay.")
    database_schema: str | None = Field(
        default=None, description="PostgreSQL schema for the tables, ignored on SQLite."
    )
    schema_dir: Path = DEFAULT_SCHEMA_DIR
