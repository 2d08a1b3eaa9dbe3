"""The Flask app serving the built site: types, caching, security headers, errors."""

from __future__ import annotations

import gzip
import re
from pathlib import Path
from urllib.parse import urljoin

import brotli
import pytest

from site_tools.pyodide_pin import PYODIDE_VERSION
from sync_server import create_app
from sync_server.config import Settings
from sync_server.headers import HEADERS


@pytest.fixture
def client(built_site, tmp_path):
    return create_app(Settings(site_dir=built_site, data_dir=tmp_path)).test_client()


def test_health_and_readiness(client):
    response = client.get("/api/health")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"
    response = client.get("/api/ready")
    assert response.status_code == 200 and response.get_json() == {"status": "ready"}
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
    assert (
        response.status_code in (301, 302, 308)
        and urljoin("http://host/worksheet", response.headers["Location"]) == "http://host/worksheet/"
    )


def test_an_index_page_has_one_address(client):
    """The worksheet is fetched once: its index.html address leads to the folder's."""
    response = client.get("/worksheet/index.html")
    assert (
        response.status_code in (301, 302, 308)
        and urljoin("http://host/worksheet/index.html", response.headers["Location"]) == "http://host/worksheet/"
    )


@pytest.mark.parametrize(
    "accept, encoding", [("br, gzip", "br"), ("gzip, deflate, br;q=1", "br"), ("gzip", "gzip"), ("", None), ("identity", None)]
)
@pytest.mark.parametrize(
    "path",
    [
        "/worksheet/",
        f"/pyodide/{PYODIDE_VERSION}/pyodide.asm.wasm",
        "/assets/js/worksheet/worksheet.mjs",
        f"/pyodide/{PYODIDE_VERSION}/python_stdlib.zip",
    ],
)
def test_precompressed_copies_are_chosen_by_accept_encoding(client, built_site, path, accept, encoding):
    plain = (built_site / path.lstrip("/")).joinpath("index.html") if path.endswith("/") else built_site / path.lstrip("/")
    response = client.get(path, headers={"Accept-Encoding": accept} if accept else {})
    assert response.status_code == 200 and response.headers.get("Content-Encoding") == encoding
    assert response.headers["Vary"] == "Accept-Encoding"
    body = response.data
    if encoding == "br":
        body = brotli.decompress(body)
    elif encoding == "gzip":
        body = gzip.decompress(body)
    assert body == plain.read_bytes()
    assert int(response.headers["Content-Length"]) == len(response.data)
    for name, value in HEADERS.items():
        assert response.headers[name] == value


def test_head_range_and_etag_revalidation(client):
    wasm = f"/pyodide/{PYODIDE_VERSION}/pyodide.asm.wasm"
    head = client.head(wasm, headers={"Accept-Encoding": "br"})
    assert head.status_code == 200 and head.data == b"" and head.headers["Content-Encoding"] == "br"
    assert int(head.headers["Content-Length"]) == len(client.get(wasm, headers={"Accept-Encoding": "br"}).data)
    part = client.get(wasm, headers={"Range": "bytes=0-7"})
    assert part.status_code == 206 and part.data == b"\0asm\x01\0\0\0" and part.headers["Content-Range"].startswith("bytes 0-7/")
    assert client.get(wasm, headers={"Range": "bytes=999999999-"}).status_code == 416
    page = client.get("/worksheet/", headers={"Accept-Encoding": "br"})
    again = client.get("/worksheet/", headers={"Accept-Encoding": "br", "If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["Cache-Control"] == "no-cache"
    assert client.get("/worksheet/", headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_compressed_copies_are_not_addresses_of_their_own(client):
    for path in ("/assets/js/worksheet/worksheet.mjs.br", "/worksheet/index.html.gz", "/assets/js/no-such.mjs.br"):
        assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path", [f"/pyodide/{PYODIDE_VERSION}/pyodide.asm.wasm", f"/pyodide/{PYODIDE_VERSION}/python_stdlib.zip"]
)
def test_versioned_files_are_immutable(client, path):
    assert client.get(path).headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_material_hashed_bundles_are_immutable_and_everything_else_revalidated(client, built_site):
    bundles = [p for p in (built_site / "assets").rglob("*.min.*") if re.search(r"\.[0-9a-f]{8,}\.min\.(js|css)$", p.name)]
    assert bundles
    for bundle in bundles:
        url = "/" + bundle.relative_to(built_site).as_posix()
        assert client.get(url).headers["Cache-Control"] == "public, max-age=31536000, immutable", url
    for url in (
        "/",
        "/worksheet/",
        "/manifest.webmanifest",
        "/sw.js",
        "/assets/js/worksheet/worksheet.mjs",
        "/assets/css/site.css",
    ):
        response = client.get(url)
        assert response.headers["Cache-Control"] == "no-cache" and response.headers["ETag"], url


@pytest.mark.parametrize(
    "path, content_type",
    [
        ("assets/js/worksheet/worksheet.mjs", "text/javascript"),
        (f"pyodide/{PYODIDE_VERSION}/pyodide.asm.wasm", "application/wasm"),
        (f"pyodide/{PYODIDE_VERSION}/pyodide.mjs", "text/javascript"),
    ],
)
def test_module_scripts_and_wasm_get_their_types(client, path, content_type):
    assert client.get(f"/{path}").headers["Content-Type"].startswith(content_type)


def test_versioned_pyodide_is_cached_for_good_and_pages_are_revalidated(client):
    assert "immutable" in client.get(f"/pyodide/{PYODIDE_VERSION}/pyodide.mjs").headers["Cache-Control"]
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


def parse_headers_file(text: str) -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    pattern = None
    for line in text.splitlines():
        if line and not line.startswith(" "):
            pattern = line.strip()
            rules.setdefault(pattern, {})
        elif line.strip():
            name, _, value = line.strip().partition(": ")
            rules[pattern][name] = value
    return rules


def matching(pattern: str, path: str) -> bool:
    return path == pattern or (pattern.endswith("*") and path.startswith(pattern[:-1]))


def test_static_host_headers_file_says_what_the_server_sends(client, built_site):
    """A static host reading `_headers` sends what the server sends: each header from exactly one rule."""
    rules = parse_headers_file((built_site / "_headers").read_text())
    immutable = [pattern for pattern, headers in rules.items() if "Cache-Control" in headers]
    assert any(p.startswith("/pyodide/") for p in immutable) and any("bundle." in p for p in immutable)
    for path in ["/", "/worksheet/", "/open/", "/sw.js", *immutable]:
        response = client.get(path)
        applied: dict[str, str] = {}
        for pattern, headers in rules.items():
            if matching(pattern, path):
                assert not set(headers) & set(applied), f"{path}: a header set by two rules would be joined"
                applied.update(headers)
        for name, value in applied.items():
            assert response.headers[name] == value, (path, name)
        expected = {name: response.headers[name] for name in (*HEADERS, "X-Robots-Tag") if name in response.headers}
        assert {name: applied.get(name) for name in expected} == expected, path
        if response.headers["Cache-Control"] != "no-cache":
            assert applied["Cache-Control"] == response.headers["Cache-Control"], path


def test_readme_nginx_lines_say_what_the_server_sends(client):
    from sync_server.site import IMMUTABLE

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = next(block.split("```", 1)[0] for block in readme.split("```nginx\n")[1:] if "location ~" in block)
    server_level = dict(re.findall(r'^add_header ([\w-]+) "(.*)" always;$', block, flags=re.M))
    page = client.get("/worksheet/")
    assert server_level == {**HEADERS, "Cache-Control": page.headers["Cache-Control"]}
    location = re.search(r'^location ~ "(\S+)" \{', block, flags=re.M).group(1)  # quoted: nginx needs it for {8,}
    assert location == IMMUTABLE.pattern
    assert (
        re.search(r'add_header Cache-Control "(.*)" always;\n\}', block).group(1)
        == client.get(f"/pyodide/{PYODIDE_VERSION}/pyodide.mjs").headers["Cache-Control"]
    )
