"""errors.py: the exceptions of openmed_c, one per libopenmed status, each carrying the library's
status code and message (a file, field, tensor or device named in it as the library wrote it)."""
import enum
from typing import Dict, Type


class Status(enum.IntEnum):
    """libopenmed's openmed_status codes (include/openmed.h)."""

    OK = 0
    INVALID_ARGUMENT = 1
    IO = 2
    FORMAT = 3
    UNSUPPORTED = 4
    DEVICE = 5
    NO_MEMORY = 6
    NOT_FOUND = 7
    NETWORK = 8
    AUTH = 9
    INTEGRITY = 10
    CONFIG = 11
    INTERNAL = 12
    NUMERIC = 13
    CANCELLED = 14


class OpenMedError(Exception):
    """A failure reported by libopenmed: `status` (a Status), `code` (its short name, "io",
    "not_found", ...) and `message` (what failed and why, naming the path, field or device)."""

    status: Status = Status.INTERNAL

    def __init__(self, message: str, status: "Status | int | None" = None) -> None:
        super().__init__(message)
        if status is not None:
            try:
                self.status = Status(int(status))
            except ValueError:  # a code newer than this package
                self.status = Status.INTERNAL
        self.message = message

    @property
    def code(self) -> str:
        return self.status.name.lower()

    def __str__(self) -> str:
        return self.message


class InvalidArgumentError(OpenMedError, ValueError):
    """A bad value from the caller (name, option, text)."""
    status = Status.INVALID_ARGUMENT


class OpenMedIOError(OpenMedError):
    """A file could not be opened, read or written."""
    status = Status.IO


class FormatError(OpenMedError):
    """Malformed or inconsistent file content (JSON, safetensors)."""
    status = Status.FORMAT


class UnsupportedError(OpenMedError):
    """A valid feature this backend does not implement (architecture, method, backend)."""
    status = Status.UNSUPPORTED


class DeviceError(OpenMedError):
    """The requested device is unavailable or failed."""
    status = Status.DEVICE


class OutOfMemoryError(OpenMedError, MemoryError):
    status = Status.NO_MEMORY


class NotFoundError(OpenMedError, LookupError):
    """A model, file or key that does not exist."""
    status = Status.NOT_FOUND


class NetworkError(OpenMedError):
    status = Status.NETWORK


class AuthError(OpenMedError):
    """401/403: a gated or private repository, or a bad token."""
    status = Status.AUTH


class IntegrityError(OpenMedError):
    """A checksum or size mismatch."""
    status = Status.INTEGRITY


class ConfigError(OpenMedError, ValueError):
    """A bad configuration file or value."""
    status = Status.CONFIG


class InternalError(OpenMedError):
    status = Status.INTERNAL


class NumericError(OpenMedError):
    """The model produced non-finite values; de-identification returns no text."""
    status = Status.NUMERIC


class CancelledError(OpenMedError):
    status = Status.CANCELLED


_BY_STATUS: Dict[Status, Type[OpenMedError]] = {
    cls.status: cls
    for cls in (InvalidArgumentError, OpenMedIOError, FormatError, UnsupportedError, DeviceError,
                OutOfMemoryError, NotFoundError, NetworkError, AuthError, IntegrityError, ConfigError,
                InternalError, NumericError, CancelledError)
}


def error_for(status: int, message: str) -> OpenMedError:
    """The exception for a libopenmed status and message."""
    try:
        cls = _BY_STATUS.get(Status(int(status)), OpenMedError)
    except ValueError:
        cls = OpenMedError
    return cls(message, status)
