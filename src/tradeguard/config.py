"""Settings, read once per process through :func:`get_settings` so tests can override them."""

from __future__ import annotations

import ipaddress
import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from tradeguard.errors import readable

CONFIG_FILE_ENV = "TRADEGUARD_CONFIG"


class SettingsError(ValueError):
    """A setting has a wrong value; the message is one line that names it."""


def _toml_path() -> Path | None:
    explicit = os.environ.get(CONFIG_FILE_ENV)
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise SettingsError(f"{CONFIG_FILE_ENV}: no such file: {path}")
        return path
    local = Path("tradeguard.toml")
    return local if local.is_file() else None


class Settings(BaseSettings):
    """Environment variables (``TRADEGUARD_*``) win over the TOML file, which wins over defaults."""

    model_config = SettingsConfigDict(env_prefix="TRADEGUARD_", extra="forbid")

    data_dir: Path = Field(default=Path("data"))
    database_url: str | None = None
    redis_url: str | None = None
    redis_prefix: str = Field(default="tg:c:", min_length=1, max_length=64)
    counter_backend: Literal["auto", "sql", "redis"] = "auto"
    secret_key: SecretStr | None = None
    max_body_bytes: int = Field(default=1_048_576, ge=1024, le=64 * 1_048_576)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Have I Been Pwned's Pwned Passwords (SHA-1): a directory of range files or one sorted file.
    breached_passwords_path: Path | None = None
    # WebAuthn relying party: the store's domain, the name its users see in their
    # authenticator (also the issuer in TOTP apps), and the origins its pages are served from.
    webauthn_rp_id: str = Field(default="localhost", min_length=1, max_length=253)
    webauthn_rp_name: str = Field(default="TradeGuard", min_length=1, max_length=64)
    webauthn_origins: list[str] = Field(default=["http://localhost:8000"], min_length=1)
    # Inbound mail (docs/mail.md): the names impersonators copy, whom to trust, what to load.
    mail_own_domains: list[str] = Field(default_factory=list)
    mail_staff: list[str] = Field(default_factory=list)  # full names, as in display names
    mail_suppliers: dict[str, list[str]] = Field(default_factory=dict)  # name -> domains
    mail_known_senders: list[str] = Field(default_factory=list)  # addresses or domains
    # Authentication-Results are trusted only from these servers (RFC 8601 section 7.1);
    # empty: the topmost header, which the receiving server added last.
    mail_trusted_authserv_ids: list[str] = Field(default_factory=list)
    # DNS servers for TradeGuard's own DKIM check; empty: no DNS query is ever made.
    mail_dns_resolvers: list[str] = Field(default_factory=list)
    mail_yara_dir: Path | None = None  # the organisation's own YARA rules, besides the shipped set
    mail_model_dir: Path | None = None  # default: <data_dir>/mail-model when it exists
    mail_max_message_bytes: int = Field(default=25 * 1_048_576, ge=1024, le=64 * 1_048_576)
    # Protection levels (docs/levels.md): the organisation's own controls, beside the catalog.
    controls_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml = _toml_path()
        if toml is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml))
        return tuple(sources)

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        value = value or None  # an empty variable means "not set"
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql+psycopg:// URL")
        if value is not None and value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a redis://, rediss:// or unix:// URL")
        return value or None

    @field_validator(
        "breached_passwords_path", "mail_yara_dir", "mail_model_dir", "controls_file", mode="before"
    )
    @classmethod
    def _blank_path(cls, value: object) -> object:
        return value or None  # an empty variable means "not set", not the working directory

    @field_validator("secret_key")
    @classmethod
    def _long_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters")
        return value

    @field_validator("webauthn_rp_id")
    @classmethod
    def _bare_host(cls, value: str) -> str:
        host = value.strip().lower()
        if "/" in host or ":" in host or not host.replace("-", "").replace(".", "").isalnum():
            raise ValueError("must be a bare domain name such as shop.example (no scheme or port)")
        return host

    @field_validator("webauthn_origins")
    @classmethod
    def _origins_within_rp_id(cls, value: list[str], info: ValidationInfo) -> list[str]:
        """Browsers refuse an RP id that is not the origin's host or a parent of it."""
        rp_id = info.data.get("webauthn_rp_id", "")
        origins = [origin.strip().rstrip("/") for origin in value]
        for origin in origins:
            scheme, _, rest = origin.partition("://")
            host = rest.rsplit(":", 1)[0].lower()
            if "/" in rest or not (scheme == "https" or (scheme, host) == ("http", "localhost")):
                raise ValueError(f"{origin!r} is not an https://host[:port] origin")
            if host != rp_id and not host.endswith("." + rp_id):
                raise ValueError(f"{origin!r} is not on {rp_id} or one of its subdomains")
        return origins

    @field_validator("mail_dns_resolvers")
    @classmethod
    def _resolver_addresses(cls, value: list[str]) -> list[str]:
        for item in value:
            ipaddress.ip_address(item)  # a ValueError names the bad entry
        return value

    @field_validator("mail_own_domains", "mail_known_senders", "mail_trusted_authserv_ids")
    @classmethod
    def _lower_names(cls, value: list[str]) -> list[str]:
        return [item.strip().lower() for item in value if item.strip()]

    @property
    def resolved_mail_model_dir(self) -> Path:
        return self.mail_model_dir or self.data_dir / "mail-model"

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tradeguard.db').resolve()}"

    @property
    def resolved_counter_backend(self) -> Literal["sql", "redis"]:
        if self.counter_backend == "auto":
            return "redis" if self.redis_url else "sql"
        if self.counter_backend == "redis" and not self.redis_url:
            raise SettingsError("TRADEGUARD_COUNTER_BACKEND: 'redis' needs TRADEGUARD_REDIS_URL")
        return self.counter_backend

    def resolved_secret_key(self) -> str:
        """The configured key, or one generated once and kept (mode 0600) in the data directory."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        path = self.data_dir / "secret_key"
        if path.is_file():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key)
        return key


def load_settings(**overrides: object) -> Settings:
    """Build settings, turning a validation failure into one line that names the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "TRADEGUARD_" + "_".join(str(p) for p in first["loc"]).upper()
        message = readable(first["msg"])
        raise SettingsError(f"{name}: {message}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
