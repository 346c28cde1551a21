"""Errors a user can act on.

Each carries a one-line message that says what went wrong and what to do; the CLI prints
it without a traceback (unless --debug) and exits non-zero. Anything else is a bug.
"""


class PerspectivesError(Exception):
    """Base class: the message is shown to the user as is."""

    exit_code = 1


class InputError(PerspectivesError):
    """The user's input (question, file, flag) cannot be used."""

    exit_code = 2


class ModelError(PerspectivesError):
    """The model file is missing, unreadable or not a GGUF, or the backend failed."""

    exit_code = 3


class ModelCrashed(ModelError):
    """The model's process died mid-call (a native crash, an OOM kill); a new one was started."""


class StoreError(PerspectivesError):
    """The index is damaged or cannot be written."""

    exit_code = 4


class CorpusError(PerspectivesError):
    """No usable articles."""

    exit_code = 5


def describe(exc: BaseException, limit: int = 200) -> str:
    """`Type: message` on one line, cut to `limit` characters, for wrapping a library's error."""
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:limit]}"


def read_user_file(path, *, missing: str, folder: str, unreadable: str) -> bytes:
    """The bytes of a file the user named, or an InputError with the caller's wording.

    `unreadable` may use {reason} (the OS's words). One place for this, so every command says
    "not found" / "is a folder" / "cannot read" the same way.
    """
    try:
        return open(path, "rb").read()
    except FileNotFoundError:
        raise InputError(missing) from None
    except IsADirectoryError:
        raise InputError(folder) from None
    except OSError as exc:
        raise InputError(unreadable.format(reason=exc.strerror or exc)) from exc

