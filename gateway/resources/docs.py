"""The OpenAPI document and Swagger UI, served from the vendored swagger-ui-bundle files
(no CDN: the API's documentation works on a network without the internet)."""
from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from gateway.context import Ctx, Reply
from gateway.openapi import cached_spec
from gateway.problem import not_found
from gateway.routing import route

STATIC_FILES = ("swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                "favicon-32x32.png", "favicon-16x16.png")

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
  <meta charset="utf-8">
  <title>银发 API</title>
  <link rel="stylesheet" href="/docs/static/swagger-ui.css">
  <link rel="icon" type="image/png" href="/docs/static/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/static/swagger-ui-bundle.js"></script>
  <script src="/docs/static/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/static/init.js"></script>
</body>
</html>
"""

INIT = """window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: "/openapi.json", dom_id: "#swagger-ui", deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    layout: "StandaloneLayout", validatorUrl: null
  });
};
"""


def _assets() -> Path:
    import swagger_ui_bundle

    return Path(swagger_ui_bundle.swagger_ui_path)


@route("GET", "/openapi.json", public=True, tag="docs", summary="This API's OpenAPI document",
       documented=False)
def openapi_document(ctx: Ctx) -> dict[str, Any]:
    return cached_spec()


@route("GET", "/docs", public=True, tag="docs", summary="Swagger UI", documented=False)
def docs_page(ctx: Ctx) -> Reply:
    return Reply(content=PAGE.encode(), content_type="text/html; charset=utf-8")


@route("GET", "/docs/static/<name>", public=True, tag="docs", summary="Swagger UI assets",
       documented=False)
def docs_asset(ctx: Ctx) -> Reply:
    name = ctx.params["name"]
    if name == "init.js":
        return Reply(content=INIT.encode(), content_type="application/javascript")
    if name not in STATIC_FILES:
        raise not_found()
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Reply(content=(_assets() / name).read_bytes(), content_type=content_type,
                 headers={"Cache-Control": "public, max-age=86400"})
