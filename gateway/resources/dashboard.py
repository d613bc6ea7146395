"""The dashboard's built files (`YINFA_DASHBOARD_DIR`: dashboard/dist, made by the set-up's
`npm run build`; the image's own build stage puts them in /app/dashboard): the page at
/dashboard/, its hashed assets at /dashboard/assets/<name>. They hold no data
(every figure comes from the API with the caller's token), so they are public. Without a
build the page says how to make one."""
from __future__ import annotations

import gzip
import mimetypes
from functools import lru_cache
from pathlib import Path

from gateway.context import Ctx, Reply
from gateway.problem import not_found
from gateway.routing import route
from yinfa.config import settings

HTML = "text/html; charset=utf-8"

NOT_BUILT = """<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>看板尚未构建</title></head>
<body><h1>看板尚未构建</h1>
<p>The dashboard has not been built on this machine: run <code>bash scripts/bootstrap.sh</code>
(it runs <code>npm ci &amp;&amp; npm run build</code> in <code>dashboard/</code>), then reload.</p>
<p>运行 <code>bash scripts/bootstrap.sh</code> 构建看板后刷新本页。
API 不受影响：<a href="/docs">/docs</a>。</p>
</body></html>
"""


@route("GET", "/dashboard", public=True, tag="dashboard", summary="The dashboard",
       documented=False)
def dashboard_page(ctx: Ctx) -> Reply:
    page = built() / "index.html"
    if not page.is_file():
        return Reply(content=NOT_BUILT.encode(), status=503, content_type=HTML,
                     headers={"Retry-After": "60"})
    return Reply(content=page.read_bytes(), content_type=HTML,
                 headers={"Cache-Control": "no-cache"})


@route("GET", "/dashboard/assets/<name>", public=True, tag="dashboard",
       summary="The dashboard's scripts and styles", documented=False)
def dashboard_asset(ctx: Ctx) -> Reply:
    name = ctx.params["name"]
    path = built() / "assets" / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise not_found()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    # names carry a hash of their content: a new build has new names
    headers = {"Cache-Control": "public, max-age=31536000, immutable",
               "Vary": "Accept-Encoding"}
    if "gzip" in ctx.request.headers.get("Accept-Encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Reply(content=gzipped(path, path.stat().st_mtime), content_type=content_type,
                     headers=headers)
    return Reply(content=path.read_bytes(), content_type=content_type, headers=headers)


def built() -> Path:
    return settings().dashboard_dir


@lru_cache(maxsize=64)
def gzipped(path: Path, mtime: float) -> bytes:
    """Compressed once per file version: the scripts are most of a first visit's bytes."""
    return gzip.compress(path.read_bytes(), compresslevel=9)
