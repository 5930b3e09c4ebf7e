"""Errors that carry their HTTP status; the API renders them as problem+json in one place."""

from __future__ import annotations

from typing import Any, ClassVar


class TradeGuardError(Exception):
    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    @property
    def headers(self) -> dict[str, str]:
        """HTTP headers the answer carries besides the problem+json body."""
        return {}


class Invalid(TradeGuardError):
    status = 422
    title = "Invalid input"


class BadRequest(TradeGuardError):
    status = 400
    title = "Bad request"


class Unauthorized(TradeGuardError):
    status = 401
    title = "Not authenticated"


class Forbidden(TradeGuardError):
    status = 403
    title = "Forbidden"


class NotFound(TradeGuardError):
    status = 404
    title = "Not found"


class Conflict(TradeGuardError):
    status = 409
    title = "Conflict"


class PayloadTooLarge(TradeGuardError):
    status = 413
    title = "Payload too large"


class UnsupportedMediaType(TradeGuardError):
    status = 415
    title = "Unsupported media type"


class Locked(TradeGuardError):
    status = 423
    title = "Locked"


class TooManyAttempts(TradeGuardError):
    """A rate limit: ``retry_after`` (seconds, when known) is rendered as the ``Retry-After``
    header and kept in the body as ``retry_after``.
    """

    status = 429
    title = "Too many attempts"

    def __init__(self, detail: str, *, retry_after: int | None = None, **extra: Any) -> None:
        if retry_after is not None:
            extra["retry_after"] = retry_after
        super().__init__(detail, **extra)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {} if self.retry_after is None else {"Retry-After": str(self.retry_after)}


class Unavailable(TradeGuardError):
    status = 503
    title = "Service unavailable"


def readable(pydantic_message: str) -> str:
    """A pydantic error message without the "Value error, " that custom validators get."""
    return pydantic_message.removeprefix("Value error, ")
