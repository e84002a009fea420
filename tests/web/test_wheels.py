"""The hub's wheelhouse at ``/wheels/`` (issue 13): a pip find-links page and the wheel files, for nodes
without a login; read-only, wheel files of that one folder only."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

WHEEL = "antrean-0.2.0-py3-none-any.whl"


@pytest.fixture
def served(app: Flask, tmp_path: Path) -> Path:
    folder = tmp_path / "wheelhouse"
    folder.mkdir()
    (folder / WHEEL).write_bytes(b"PK\x03\x04 a wheel")
    (folder / "notes.txt").write_text("not a wheel")
    (folder / "sub").mkdir()
    (folder / "sub" / "hidden-1.0-py3-none-any.whl").write_bytes(b"PK")
    (tmp_path / "secret-1.0-py3-none-any.whl").write_bytes(b"outside")
    app.config["WHEELHOUSE"] = str(folder)
    return folder


def test_the_index_lists_the_wheels_and_serves_them_without_login(app: Flask, served: Path) -> None:
    client = app.test_client()
    page = client.get("/wheels/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert f'<a href="{WHEEL}">' in page.text
    assert "notes.txt" not in page.text and "hidden" not in page.text
    with client.get(f"/wheels/{WHEEL}") as wheel:
        assert wheel.status_code == 200 and wheel.data == b"PK\x03\x04 a wheel"


@pytest.mark.parametrize(
    "path",
    [
        "/wheels/notes.txt",
        "/wheels/sub/hidden-1.0-py3-none-any.whl",
        "/wheels/../secret-1.0-py3-none-any.whl",
        "/wheels/..%2fsecret-1.0-py3-none-any.whl",
        "/wheels/%2e%2e/secret-1.0-py3-none-any.whl",
        "/wheels/.hidden.whl",
        "/wheels/nothing-1.0-py3-none-any.whl",
    ],
)
def test_nothing_else_is_served(app: Flask, served: Path, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 404, path
    assert b"outside" not in response.data


def test_it_is_read_only(app: Flask, served: Path) -> None:
    client = app.test_client()
    for method in (client.post, client.put, client.delete):
        assert method(f"/wheels/{WHEEL}", data=b"x").status_code in (400, 405)
    assert (served / WHEEL).read_bytes() == b"PK\x03\x04 a wheel"


def test_the_default_wheelhouse_is_in_the_data_folder(app: Flask) -> None:
    services = app.extensions["antrean"]
    assert app.config["WHEELHOUSE"] == str(services.data_dir / "wheelhouse")


def test_an_empty_or_missing_wheelhouse_is_an_empty_page(app: Flask, tmp_path: Path) -> None:
    app.config["WHEELHOUSE"] = str(tmp_path / "not-there")
    page = app.test_client().get("/wheels/")
    assert page.status_code == 200 and "<a " not in page.text
