"""The web's fixtures (app → client → logged-in helper on a fresh database), shared with tests/web."""

from tests.web.conftest import admin, app, clock, services, staff, web  # noqa: F401
