"""The Flask app serving the built site: types, caching, security headers, errors."""

from __future__ import annotations

import pytest

from sync_server import create_app
from sync_server.config import Settings


@pytest.fixture
def client(built_site, tmp_path):
    return create_app(Settings(site_dir=built_site, data_dir=tmp_path)).test_client()


def test_health(client):
    response = client.get("/api/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_pages_are_served_with_security_headers(client):
    response = client.get("/worksheet/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_directory_without_slash_redirects(client):
    response = client.get("/worksheet")
    assert response.status_code == 308 and response.headers["Location"].endswith("/worksheet/")


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("assets/js/worksheet.mjs", "text/javascript"),
        ("pyodide/314.0.7/pyodide.asm.wasm", "application/wasm"),
        ("pyodide/314.0.7/pyodide.mjs", "text/javascript"),
    ],
)
def test_module_scripts_and_wasm_get_their_types(client, path, content_type):
    assert client.get(f"/{path}").headers["Content-Type"].startswith(content_type)


def test_versioned_pyodide_is_cached_for_good_and_pages_are_revalidated(client):
    assert "immutable" in client.get("/pyodide/314.0.7/pyodide.mjs").headers["Cache-Control"]
    assert "no-cache" in client.get("/worksheet/").headers["Cache-Control"]


def test_unknown_page_gets_the_sites_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and b"<html" in response.data


def test_path_traversal_is_refused(client):
    assert client.get("/../pyproject.toml").status_code == 404
    assert client.get("/%2e%2e/pyproject.toml").status_code == 404


def test_unknown_api_path_is_json(client):
    response = client.get("/api/nothing")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"


def test_data_folder_and_files_are_owner_only(tmp_path):
    """The data folder holds the signing key and the shares: 0700, and every file in it 0600, also when an
    older version left them readable to others."""
    import stat

    from sync_server import create_app
    from sync_server.config import Settings

    data = tmp_path / "data"
    app = create_app(Settings(site_dir=tmp_path, data_dir=data))
    response = app.test_client().post("/api/shares", json={"ciphertext": "", "claim_hash": "", "expires_in": 60})
    assert response.status_code == 400  # a request went through the store; the files exist
    modes = {path.name: stat.S_IMODE(path.stat().st_mode) for path in data.iterdir()}
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert {"secret_key", "shares.sqlite3"} <= set(modes) and set(modes.values()) == {0o600}, modes
    data.chmod(0o755)
    for path in data.iterdir():
        path.chmod(0o644)
    create_app(Settings(site_dir=tmp_path, data_dir=data))
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert {stat.S_IMODE(path.stat().st_mode) for path in data.iterdir()} == {0o600}
