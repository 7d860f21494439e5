"""The one exception type every layer raises for a client-facing error."""
from __future__ import annotations

from typing import Any, Mapping, Sequence


class ApiError(Exception):
    """An error answered as JSON `{"message": ...}` (plus `errors` for validation failures)."""

    def __init__(
        self,
        status: int,
        message: str,
        errors: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = {k: list(v) for k, v in errors.items()} if errors else None
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found(what: str) -> ApiError:
    return ApiError(404, f"Unable to locate the {what} you requested.")


def forbidden(message: str = "This action is unauthorized.") -> ApiError:
    return ApiError(403, message)


def validation_error(errors: Mapping[str, Sequence[str]]) -> ApiError:
    return ApiError(422, "The given data was invalid.", errors)
