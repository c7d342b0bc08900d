"""The marking server's routes (Starlette), behind `grader.serve.security.Guard`.

    GET  /                          the class page, live, every student linked
    GET  /students/KEY              a student's report, live
    GET  /students/KEY/regrade      every test of that student, each with a regrade form
    POST /students/KEY/regrade      store or remove one regrade
    GET  /mark                      the questions awaiting marks
    GET  /mark/TASK/KEY             one answer: rubric, suggestion, comment, alike answers
    POST /mark/TASK/KEY             store its marks, then go to the next answer awaiting marks
    GET  /mark/TASK/grid            every answer to a question on one page
    POST /mark/TASK/grid            store the points typed there
    POST /marker                    who is marking (a cookie; recorded with every mark)
    GET  /static/NAME               the pages' own style sheets and script

KEY is the student's report file stem. Gradebook work and rendering run in worker threads.
"""

from __future__ import annotations

import getpass
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from ..report import UI
from ..report.classpage import class_page
from ..report.views import student_page
from ..untrusted import clean, file_stem
from .book import Book, MarkError
from .marking import Marking, flash
from .outputs import Outputs
from .pages import Nav, assets, page, render, style_hashes
from .regrade import regrade_page, save_regrade
from .security import Guard, csrf_value, report_policy


def default_marker() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no user name in this environment
        return "instructor"


class App:
    def __init__(self, book: Book, token: str, port: int, outputs: Outputs | None) -> None:
        self.book = book
        self.marking = Marking(book)
        self.outputs = outputs
        self.csrf = csrf_value(token)
        self.marker_cookie = f"grader-marker-{port}"
        self.report_policy = report_policy(style_hashes())

    # -- helpers -------------------------------------------------------------------------------

    def marker(self, request: Request) -> str:
        raw = request.cookies.get(self.marker_cookie)
        name = clean(unquote(raw)).strip()[:60] if raw else ""
        return name or default_marker()

    def nav(self, request: Request, extra: list[dict[str, str]] | None = None) -> Nav:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return Nav(self.book.lang, self.csrf, self.marker(request), here, extra or [])

    def message(self, request: Request, status: int, heading: str, text: str, back: str | None = None) -> Response:
        html = page("message", self.nav(request), heading=heading, text=text, back=back)
        return HTMLResponse(html, status_code=status)

    def not_found(self, request: Request, what: str) -> Response:
        return self.message(request, 404, "404", what, "/")

    def changed(self, students: set[str]) -> None:
        if self.outputs is not None and students:
            self.outputs.touch(students)

    async def guarded(self, request: Request, work: Callable[[], str]) -> Response:
        """Run a save; a mark the rules refuse is a 400 page saying why, nothing stored."""
        try:
            target = await run_in_threadpool(work)
        except MarkError as exc:
            w = self.nav(request).w
            return self.message(request, 400, w["error"], str(exc), request.url.path)
        return RedirectResponse(target, status_code=303)

    def form(self, request: Request) -> dict[str, list[str]]:
        return request.state.form  # read, capped and CSRF-checked by the guard

    # -- pages ---------------------------------------------------------------------------------

    async def class_page(self, request: Request) -> Response:
        def build() -> str:
            results = self.book.marked()
            lang = self.book.lang
            links = {r.student: f"/students/{file_stem(r.student)}" for r in results}
            view = class_page(results, self.book.title()(lang), lang, links, self.book.similar)
            view.notices = list(self.book.notices)
            return render("index.html.j2", ui=UI[lang], lang=lang, page=view, nav=self.nav(request))

        return HTMLResponse(await run_in_threadpool(build), headers={"content-security-policy": self.report_policy})

    async def report(self, request: Request) -> Response:
        key = request.path_params["key"]
        result = await run_in_threadpool(self.book.result, key)
        if result is None:
            return self.not_found(request, "No such student in the gradebook.")
        w = self.nav(request).w
        nav = self.nav(request, [{"href": f"/students/{key}/regrade", "label": w["regrade"]}])

        def build() -> str:
            marked = next(r for r in self.book.marked() if r.student == result.student)
            view = student_page(marked, self.book.title(), self.book.lang)
            return render("report.html.j2", ui=UI[self.book.lang], lang=self.book.lang, page=view, nav=nav)

        return HTMLResponse(await run_in_threadpool(build),
                            headers={"content-security-policy": self.report_policy})

    async def regrade(self, request: Request) -> Response:
        key = request.path_params["key"]
        result = await run_in_threadpool(self.book.result, key)
        if result is None:
            return self.not_found(request, "No such student in the gradebook.")
        if request.method == "POST":
            marker, form = self.marker(request), self.form(request)

            def work() -> str:
                target = save_regrade(self.book, result, form, marker)
                self.changed({result.student})
                return target

            return await self.guarded(request, work)
        nav = self.nav(request, [{"href": f"/students/{key}", "label": self.nav(request).w["report"]}])
        shown = flash(dict(request.query_params), self.book.lang)
        return HTMLResponse(await run_in_threadpool(regrade_page, self.book, result, nav, shown))

    async def tasks(self, request: Request) -> Response:
        done = request.query_params.get("done") == "1"
        shown = flash(dict(request.query_params), self.book.lang)
        return HTMLResponse(await run_in_threadpool(self.marking.tasks_page, self.nav(request), done, shown))

    async def mark(self, request: Request) -> Response:
        task_id, key = request.path_params["task"], request.path_params["key"]
        if self.book.task(task_id) is None:
            return self.not_found(request, "No such question.")
        if key == "grid":
            return await self.grid(request, task_id)
        result = await run_in_threadpool(self.book.result, key)
        if result is None or all(r.student != result.student for r in self.book.queue(task_id)):
            return self.not_found(request, "This student has no answer to this question awaiting marks.")
        if request.method == "POST":
            marker, form = self.marker(request), self.form(request)

            def work() -> str:
                target, changed = self.marking.save_answer(task_id, result, form, marker)
                self.changed(changed)
                return target

            return await self.guarded(request, work)
        shown = flash(dict(request.query_params), self.book.lang)
        return HTMLResponse(await run_in_threadpool(self.marking.mark_page, task_id, result, self.nav(request), shown))

    async def grid(self, request: Request, task_id: str) -> Response:
        if request.method == "POST":
            marker, form = self.marker(request), self.form(request)

            def work() -> str:
                target, changed = self.marking.save_grid(task_id, form, marker)
                self.changed(changed)
                return target

            return await self.guarded(request, work)
        shown = flash(dict(request.query_params), self.book.lang)
        return HTMLResponse(await run_in_threadpool(self.marking.grid_page, task_id, self.nav(request), shown))

    async def set_marker(self, request: Request) -> Response:
        form = self.form(request)
        name = clean(form.get("marker", [""])[0]).strip()[:60]
        back = form.get("back", ["/"])[0]
        if not _LOCAL.fullmatch(back):
            back = "/"  # only a path on this server: never `//elsewhere`, whatever a browser strips
        if not name:
            return self.message(request, 400, self.nav(request).w["error"], "A marker needs a name.", back)
        response = RedirectResponse(back, status_code=303)
        response.set_cookie(self.marker_cookie, quote(name), httponly=True, samesite="strict", path="/")
        return response

    async def static(self, request: Request) -> Response:
        asset = assets().get(request.path_params["name"])
        if asset is None:
            return Response("Not found\n", status_code=404, media_type="text/plain")
        return Response(asset.body, media_type=asset.media_type,
                        headers={"cache-control": "private, max-age=86400"})


_LOCAL = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~?=&%+-]*")


def build(book: Book, token: str, *, port: int, loopback_only: bool = True, outputs: Outputs | None = None
          ) -> Guard:
    app = App(book, token, port, outputs)
    routes = [
        Route("/", app.class_page),
        Route("/students/{key}", app.report),
        Route("/students/{key}/regrade", app.regrade, methods=["GET", "POST"]),
        Route("/mark", app.tasks),
        Route("/mark/{task}/{key}", app.mark, methods=["GET", "POST"]),
        Route("/marker", app.set_marker, methods=["POST"]),
        Route("/static/{name}", app.static),
        Route("/favicon.ico", lambda request: Response(status_code=204)),
    ]
    inner: Any = Starlette(routes=routes)
    return Guard(inner, token, f"grader-token-{port}", loopback_only)
