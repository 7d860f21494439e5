"""Field rules with Laravel's wording, collecting every failure before answering 422."""
from __future__ import annotations

from typing import Any, Iterable, Mapping

from messenger_gateway.core.errors import validation_error

TRUE_VALUES = (True, 1, "1")
FALSE_VALUES = (False, 0, "0")


def label(field: str) -> str:
    return field.replace("_", " ")


def _present(value: Any) -> bool:
    return value is not None and value != "" and value != []


class Validator:
    def __init__(self, data: Mapping[str, Any]) -> None:
        self.data = data
        self.errors: dict[str, list[str]] = {}
        self.clean: dict[str, Any] = {}

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def boolean(self, field: str, required: bool = True) -> None:
        value = self.data.get(field)
        if not _present(value):
            if required:
                self.fail(field, f"The {label(field)} field is required.")
            return
        if isinstance(value, bool):
            self.clean[field] = value
        elif type(value) is int and value in (0, 1):
            self.clean[field] = bool(value)
        elif value in ("1", "0"):
            self.clean[field] = value == "1"
        else:
            self.fail(field, f"The {label(field)} field must be true or false.")

    def integer_in(self, field: str, allowed: Iterable[int], required: bool = True) -> None:
        value = self.data.get(field)
        if not _present(value):
            if required:
                self.fail(field, f"The {label(field)} field is required.")
            return
        number: int | None = None
        if type(value) is int:
            number = value
        elif isinstance(value, str) and value.lstrip("-").isdigit():
            number = int(value)
        if number is None:
            self.fail(field, f"The {label(field)} must be an integer.")
        elif number not in set(allowed):
            self.fail(field, f"The selected {label(field)} is invalid.")
        else:
            self.clean[field] = number

    def string(self, field: str, max_length: int, min_length: int = 0, required: bool = True) -> None:
        """A non-blank string, kept as given (no trimming)."""
        value = self.data.get(field)
        if not _present(value) or (isinstance(value, str) and not value.strip()):
            if required:
                self.fail(field, f"The {label(field)} field is required.")
            return
        if not isinstance(value, str):
            self.fail(field, f"The {label(field)} must be a string.")
        elif len(value) > max_length:
            self.fail(field, f"The {label(field)} must not be greater than {max_length} characters.")
        elif len(value) < min_length:
            self.fail(field, f"The {label(field)} must be at least {min_length} characters.")
        else:
            self.clean[field] = value

    def token(self, field: str, max_length: int = 255) -> None:
        """An optional client-chosen id, echoed back: a string (the package's `nullable|string`), or null."""
        value = self.data.get(field)
        if not _present(value):
            return
        if not isinstance(value, str):
            self.fail(field, f"The {label(field)} must be a string.")
        elif len(value) > max_length:
            self.fail(field, f"The {label(field)} must not be greater than {max_length} characters.")
        else:
            self.clean[field] = value

    def check(self) -> dict[str, Any]:
        if self.errors:
            raise validation_error(self.errors)
        return self.clean
