"""All configuration, read once from KOMITMEN_* environment variables or a .env file."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Komitmen's settings; every field can be set as KOMITMEN_<NAME>."""

    model_config = SettingsConfigDict(env_prefix="KOMITMEN_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default=Path("var"), description="where embedded state lives")
    database_url: str = Field(default="", description="SQLAlchemy URL; default SQLite in data_dir")

    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    temporal_task_queue: str = "komitmen"
    temporal_tls: bool = False
    temporal_tls_cert: Path | None = None
    temporal_tls_key: Path | None = None
    temporal_tls_ca: Path | None = None
    # The name the server's certificate is checked against, when it differs from the address.
    temporal_tls_server_name: str | None = None
    temporal_api_key: str | None = None
    temporal_ui_port: int = 8233
    workflow_cache_size: int = 1000
    # host:port where `komitmen worker` serves Temporal SDK metrics at /metrics; empty: off.
    worker_metrics_address: str = ""

    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # A page session lasts one working day from sign-in; API tokens a quarter.
    session_hours: int = Field(default=9, ge=1, le=24 * 7)
    api_token_days: int = Field(default=90, ge=1, le=3650)
    # Sign-in is refused for a while after this many failures in the window.
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60)
    # Password checks (argon2id, 64 MiB each) running at once in a process; more wait their
    # turn, so a burst of sign-ins costs time, not memory (about 64 MiB more per check).
    max_concurrent_password_checks: int = Field(default=4, ge=1, le=256)
    # The largest request body the API reads: twice the largest valid plan (200 items
    # whose texts are all as long as allowed, about 1 MB); anything bigger is refused unread.
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    # The largest signed scan an office may upload (wet signatures): a few pages scanned
    # at 300 dpi fit; its upload may be this much larger than max_body_bytes.
    max_scan_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Evidence (bukti dukung) behind quarterly reports: the largest file (a phone's photo
    # is 3-8 MB, a scanned SPM report a few more), and all of one quarter's report together.
    evidence_max_file_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    evidence_max_report_bytes: int = Field(default=200 * 1024 * 1024, ge=1024)
    evidence_max_files_per_item: int = Field(default=20, ge=1, le=200)
    # Where evidence is kept: "folder" (evidence_dir, the embedded default) or "database"
    # (the stored_file table: on PostgreSQL in production, so backups hold the evidence).
    evidence_store: str = Field(default="folder", pattern="^(folder|database)$")
    evidence_dir: Path | None = None
    # A photo taken farther than this from its item's location is flagged to the reviewer.
    evidence_flag_km: float = Field(default=50.0, gt=0)
    # A certified signature waiting for BSrE is retried by the API process that holds the
    # passphrase: first after this many seconds, doubling, for at most tte_retry_minutes.
    tte_retry_seconds: float = Field(default=30.0, gt=0, le=3600)
    tte_retry_minutes: float = Field(default=30.0, gt=0, le=24 * 60)
    # Where people reach the API (scheme, host, port, any path prefix): links the API
    # writes (the overdue list's Link header, later mail) start here, never with the
    # Host a request names. Empty: http://{api_host}:{api_port}.
    public_url: str = ""
    # The addresses (comma-separated, or CIDR ranges) of the reverse proxies whose
    # X-Forwarded-For and X-Forwarded-Proto `komitmen api` believes; "*" trusts anyone.
    forwarded_allow_ips: str = "127.0.0.1"
    # A connection idle this long between requests is closed.
    keep_alive_seconds: int = Field(default=5, ge=1, le=3600)
    # Connections and requests served at once; beyond that, 503 at once.
    limit_concurrency: int = Field(default=1000, ge=1)
    # A connection whose request headers are not complete this long after it opened
    # (or after its first byte of a new request) is closed.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "Komitmen BPBD NTT <komitmen@bpbd.nttprov.go.id>"
    outbox_dir: Path | None = None

    digest_window_minutes: int = Field(default=15, ge=1, le=720)

    # A set-password link mailed on request (or by a coordinator's reset) lives this long;
    # one mailed with a new account (an invitation) lives longer: people read mail late.
    password_reset_minutes: int = Field(default=30, ge=1, le=24 * 60)
    invitation_hours: int = Field(default=72, ge=1, le=30 * 24)
    # Set-password links one username or email may ask for in login_window_minutes (a
    # client address: four times as many); beyond, the page asks to wait.
    password_reset_max_requests: int = Field(default=3, ge=1, le=100)
    # The largest list of people a coordinator may upload at once (XLSX or CSV).
    people_import_max_bytes: int = Field(default=1024 * 1024, ge=1024)

    # BSrE's Esign Client Service for certified electronic signatures (TTE); unset: off.
    bsre_url: str | None = None
    bsre_username: str = ""
    bsre_password: SecretStr = SecretStr("")
    # PEM file of the CA certificate(s) every signed PDF must chain to.
    bsre_ca_file: Path | None = None
    bsre_timeout_seconds: float = Field(default=30.0, gt=0, le=600)

    @model_validator(mode="after")
    def _client_certificate_whole(self) -> Settings:
        if (self.temporal_tls_cert is None) != (self.temporal_tls_key is None):
            raise ValueError(
                "KOMITMEN_TEMPORAL_TLS_CERT and KOMITMEN_TEMPORAL_TLS_KEY go together: "
                "a client certificate needs its private key"
            )
        return self

    @property
    def db_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data folder."""
        return self.database_url or f"sqlite:///{(self.data_dir / 'komitmen.db').resolve()}"

    @property
    def public_base_url(self) -> str:
        """Where people reach the API, without a trailing slash."""
        return (self.public_url or f"http://{self.api_host}:{self.api_port}").rstrip("/")

    @property
    def evidence_folder(self) -> Path:
        """Where the folder store keeps evidence: `evidence_dir`, else `<data_dir>/evidence`."""
        return self.evidence_dir or self.data_dir / "evidence"

    @property
    def outbox(self) -> Path:
        """Where mail lands as .eml files when no SMTP host is set."""
        return self.outbox_dir or self.data_dir / "outbox"


@cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
