"""The pages' fixtures: the API's world, and a client that signs in through the sign-in form
and checks every page for a full ID number."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.api.conftest import CheckedClient, World, app_settings, full_id_numbers, world
from wage_guard.app import create_app
from wage_guard.config import Settings
from wage_guard.context import AppContext

__all__ = ["app_settings", "full_id_numbers", "world"]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    found = _CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class Pages(CheckedClient):
    """A browser-like client of the pages."""

    def sign_in(self, world: World, user: str) -> None:
        form = self.get("/sign-in")
        response = self.post(
            "/sign-in",
            data={"token": world.tokens[user], "next": "/", "csrf_token": csrf_of(form.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text

    def csrf(self, path: str = "/sign-in") -> str:
        return csrf_of(self.get(path).text)


@pytest.fixture
def pages(app_settings: Settings) -> Iterator[Pages]:
    context = AppContext(app_settings)
    with Pages(create_app(context), raise_server_exceptions=True) as client:
        yield client
    context.close()
