"""Errors a user can act on. Stage entry points print them without a traceback.

Messages name the file, field or row, and never contain a password.
"""


class PwcError(Exception):
    """Base class: an expected failure with a message meant for the user."""


class ConfigError(PwcError):
    """params.yaml is missing or invalid."""


class DataError(PwcError):
    """An input file is not what its source type claims, or fails a schema check."""


class ModelError(PwcError):
    """A model file cannot be loaded safely."""


class GateError(PwcError):
    """The model failed validation."""


class OutputError(PwcError):
    """An output could not be written (disk full, read-only); the previous one is intact."""
