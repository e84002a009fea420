"""Antrean: queue and registration system for Indonesian puskesmas."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("antrean")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"
