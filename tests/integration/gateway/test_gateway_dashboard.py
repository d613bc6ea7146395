"""The dashboard's files through the gateway: the page and its hashed assets, public and
under a policy that admits nothing from another origin; without a build, a page that
says how to make one (and the API unaffected)."""
from __future__ import annotations

import pytest

from gateway.resources import dashboard


@pytest.fixture
def built(tmp_path, monkeypatch):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html lang="zh-CN"><script type="module" '
        'src="/dashboard/assets/index-4f2a.js"></script></html>', encoding="utf-8")
    (tmp_path / "assets" / "index-4f2a.js").write_text("console.log('看板')", encoding="utf-8")
    monkeypatch.setattr(dashboard, "built", lambda: tmp_path)
    return tmp_path


def test_the_page_and_its_assets_are_served_from_the_gateway_alone(platform, built):
    for path in ("/dashboard", "/dashboard/"):
        page = platform.anonymous.get(path)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
        assert "/dashboard/assets/index-4f2a.js" in page.text
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "http" not in policy
    asset = platform.anonymous.get("/dashboard/assets/index-4f2a.js")
    assert asset.status_code == 200 and "javascript" in asset.headers["Content-Type"]
    assert "immutable" in asset.headers["Cache-Control"]
    assert asset.headers["Content-Encoding"] == "gzip"  # requests asks for it, and unpacks
    assert asset.content == "console.log('看板')".encode()
    plain = platform.anonymous.get("/dashboard/assets/index-4f2a.js",
                                   headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.content == asset.content


def test_an_asset_that_is_not_there_is_not_found(platform, built):
    for name in ("missing.js", ".built-from", "..%2Findex.html"):
        assert platform.anonymous.get(f"/dashboard/assets/{name}").status_code == 404


def test_without_a_build_the_page_says_how_to_make_one(platform, tmp_path, monkeypatch):
    monkeypatch.setattr(dashboard, "built", lambda: tmp_path / "never-built")
    page = platform.anonymous.get("/dashboard/")
    assert page.status_code == 503 and "scripts/bootstrap.sh" in page.text
    assert "看板尚未构建" in page.text
    assert platform.anonymous.get("/openapi.json").status_code == 200
