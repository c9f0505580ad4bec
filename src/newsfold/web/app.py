"""Routes: every page renders a dict from ``newsfold.read``; the same dict is the page's JSON
(``/stories.json`` beside ``/stories``, or ``Accept: application/json``).

Read-only and local: the database is opened read-only per request (so a ``newsfold run`` publishing
a new generation shows on the next request), ids from URLs are checked and used only as SQL
parameters, static files come from the package, and every page carries a Content-Security-Policy that
allows no inline script: scraped text is escaped by Jinja2's autoescape and could not run anyway.
"""
from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from newsfold.read import Corpus, NotFound
from newsfold.read.search import QueryError

STATIC = Path(__file__).parent / "static"
HEADERS = [
    (b"content-security-policy", b"default-src 'none'; style-src 'self'; img-src 'self'; script-src 'self';"
                                 b" form-action 'self'; base-uri 'none'; frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
]


class BadRequest(ValueError):
    pass


class SecureHeaders:
    """ASGI middleware: the security headers on every response."""

    def __init__(self, app: Callable):
        self.app = app

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with(message: dict) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *HEADERS]
            await send(message)
        await self.app(scope, receive, send_with)


def safe_href(url: Any) -> str | None:
    """A link target from scraped data: only http(s) URLs become links."""
    u = str(url or "").strip()
    return u if u.lower().startswith(("http://", "https://")) else None


def href(path: str, **params: Any) -> str:
    """A stable URL: ``path`` with the given query parameters, empty ones left out, in a fixed order."""
    q = {k: v for k, v in sorted(params.items()) if v not in (None, "", False)}
    return path + ("?" + urlencode(q) if q else "")


def _templates() -> Jinja2Templates:
    env = Environment(loader=PackageLoader("newsfold.web", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(href=href, safe_href=safe_href)
    return Jinja2Templates(env=env)


def _arg(request: Request, name: str) -> str | None:
    v = request.query_params.get(name)
    return v.strip() if v and v.strip() else None


def _int(request: Request, name: str, default: int) -> int:
    v = request.query_params.get(name)
    if v is None or v == "":
        return default
    if not v.isdigit() or len(v) > 7:
        raise BadRequest(f"{name} must be a whole number, not {v[:40]!r}")
    return int(v)


def _ident(request: Request, name: str) -> tuple[str, bool]:
    """A path parameter, and whether the page was asked for as JSON (``/stories/ID.json``)."""
    v = request.path_params[name]
    return (v[:-5], True) if v.endswith(".json") else (v, False)


def create_app(path: str | Path) -> Starlette:
    """The app for the corpus folder ``path``."""
    corpus = Corpus(path)
    templates = _templates()

    def wants_json(request: Request, forced: bool = False) -> bool:
        if forced or request.url.path.endswith(".json"):
            return True
        accept = request.headers.get("accept", "")
        return "application/json" in accept and "text/html" not in accept

    def respond(request: Request, template: str, data: dict[str, Any], *, forced: bool = False,
                status: int = 200, **extra: Any) -> Response:
        if wants_json(request, forced):
            return JSONResponse(data, status_code=status)
        p = request.url.path
        json_url = (p if p.endswith(".json") else p.rstrip("/") + ".json") + (f"?{request.url.query}" if request.url.query else "")
        try:
            gen = corpus.generation()
        except (OSError, sqlite3.Error):
            gen = None
        ctx = {"d": data, "json_url": json_url, "generation": gen, "corpus_name": corpus.path.name, **extra}
        return templates.TemplateResponse(request, template, ctx, status_code=status)

    def story_filters(request: Request) -> dict[str, Any]:
        return {"outlet": _arg(request, "outlet"), "entity": _arg(request, "entity"),
                "language": _arg(request, "language"), "date_from": _arg(request, "from"), "date_to": _arg(request, "to")}

    def home(request: Request) -> Response:
        return RedirectResponse("/stories", status_code=302)

    def stories(request: Request) -> Response:
        f = story_filters(request)
        data = corpus.stories(**f, sort=_arg(request, "sort") or "newest",
                              page=_int(request, "page", 1), per_page=_int(request, "per_page", 50))
        return respond(request, "stories.html", data, nav="stories")

    def story(request: Request) -> Response:
        sid, js = _ident(request, "story_id")
        return respond(request, "story.html", corpus.story(sid), forced=js, nav="stories")

    def article(request: Request) -> Response:
        aid, js = _ident(request, "article_id")
        return respond(request, "article.html", corpus.article(aid), forced=js, nav="stories")

    def duplicates(request: Request) -> Response:
        aid, js = _ident(request, "article_id")
        data = corpus.duplicates(aid, _arg(request, "a"), _arg(request, "b"))
        return respond(request, "duplicates.html", data, forced=js, nav="stories")

    def entities(request: Request) -> Response:
        data = corpus.entities(etype=_arg(request, "type"), query=_arg(request, "q"),
                               page=_int(request, "page", 1), per_page=_int(request, "per_page", 50))
        return respond(request, "entities.html", data, nav="entities")

    def entity(request: Request) -> Response:
        eid, js = _ident(request, "entity_id")
        data = corpus.entity(eid, page=_int(request, "page", 1))
        return respond(request, "entity.html", data, forced=js, nav="entities")

    def search(request: Request) -> Response:
        q = _arg(request, "q") or ""
        try:
            data = corpus.search(q, **story_filters(request), page=_int(request, "page", 1),
                                 per_page=_int(request, "per_page", 20))
        except QueryError as exc:
            data = {"query": q, "error": str(exc), "items": [], "page": 1, "has_next": False, "has_prev": False,
                    "total": 0, "filters": story_filters(request)}
            return respond(request, "search.html", data, status=400, nav="search")
        return respond(request, "search.html", data, nav="search")

    def ledger(request: Request) -> Response:
        reason = request.query_params.get("reason")
        data = corpus.ledger(level=_arg(request, "level"), status=_arg(request, "status"), reason=reason,
                             match=_arg(request, "match"), page=_int(request, "page", 1))
        return respond(request, "ledger.html", data, nav="ledger")

    def ledger_input(request: Request) -> Response:
        source = request.query_params.get("source") or ""
        return respond(request, "input.html", corpus.ledger_input(source), nav="ledger")

    def error(request: Request, status: int, message: str) -> Response:
        if wants_json(request):
            return JSONResponse({"error": message, "status": status}, status_code=status)
        return respond(request, "error.html", {"error": message, "status": status}, status=status)

    async def not_found(request: Request, exc: Exception) -> Response:
        return error(request, 404, str(exc) if isinstance(exc, NotFound) else "no such page")

    async def bad_request(request: Request, exc: Exception) -> Response:
        return error(request, 400, str(exc))

    async def unavailable(request: Request, exc: Exception) -> Response:
        return error(request, 503, f"the corpus cannot be read now: {exc}")

    async def http_error(request: Request, exc: HTTPException) -> Response:
        return error(request, exc.status_code, exc.detail if exc.status_code != 404 else "no such page")

    routes = [Route("/", home)]
    for url, fn in (("/stories", stories), ("/entities", entities), ("/search", search), ("/ledger", ledger),
                    ("/ledger/input", ledger_input)):
        routes += [Route(url, fn), Route(url + ".json", fn)]
    routes += [
        Route("/stories/{story_id}", story),
        Route("/articles/{article_id}", article),
        Route("/articles/{article_id}/duplicates", duplicates),
        Route("/articles/{article_id}/duplicates.json", duplicates),
        Route("/entities/{entity_id}", entity),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    handlers = {NotFound: not_found, KeyError: not_found, ValueError: bad_request, BadRequest: bad_request,
                FileNotFoundError: unavailable, sqlite3.Error: unavailable, HTTPException: http_error}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.add_middleware(SecureHeaders)
    app.state.corpus = corpus
    return app
