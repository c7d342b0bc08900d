"""A graded class of 12 exam notebooks to mark, made once per test session, and a marking server
over a fresh copy of it per test module."""

from __future__ import annotations

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main

STUDENTS = [f"s{i:02d}" for i in range(1, 13)]
TEXT_TASKS = ("t1", "t2", "t3", "t4", "t5")
HOSTILE = "s05"
PAYLOAD = ('<script>window.__pwned = "script"</script><img src=x onerror="window.__pwned = \'img\'"> '
           '</pre><svg onload="window.__pwned = \'svg\'"></svg> {{ 7*7 }} '
           r'and the chain rule: $\frac{\partial L}{\partial w} = \frac{\partial L}{\partial a}\,\sigma\'(z)$')
SAME_T1 = ("SGD updates the weights with a gradient estimated from a mini-batch, so each update is cheap and it "
           "scales to large datasets; its noise helps escape saddle points.")
ANSWERS: dict[str, dict[str, str]] = {s: {} for s in STUDENTS}
for s in ("s01", "s02", "s03"):
    ANSWERS[s]["t1"] = SAME_T1
ANSWERS["s02"]["t1"] = SAME_T1.upper().replace(";", " ,")  # the same words, written otherwise
ANSWERS["s04"]["t1"] = SAME_T1.replace("large datasets", "very large datasets")  # nearly the same
ANSWERS[HOSTILE]["t1"] = PAYLOAD
TOPICS = {"t1": "gradient descent", "t2": "ReLU", "t3": "recurrent networks", "t4": "autoencoders",
          "t5": "the chain rule"}
for n, s in enumerate(STUDENTS):
    for task, topic in TOPICS.items():
        ANSWERS[s].setdefault(task, f"Student {s} writes about {topic}: point {n} of {len(STUDENTS)}, in their own "
                                    f"words number {n * 7 + len(task)}.")
del ANSWERS["s12"]["t1"]  # no answer: nothing to mark there


def write_class(release: Path, folder: Path) -> None:
    template = json.loads((release / "exam.ipynb").read_text())
    folder.mkdir(parents=True)
    for n, student in enumerate(STUDENTS):
        nb = json.loads(json.dumps(template))
        for cell in nb["cells"]:
            source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
            tags = cell.get("metadata", {}).get("tags", [])
            task = next((t for t in tags if t in ANSWERS[student]), None)
            if cell["cell_type"] == "markdown" and task is not None:
                cell["source"] = cell["metadata"]["grader"]["prompt"] + "\n\n" + ANSWERS[student][task]
            elif cell["cell_type"] == "code" and source.startswith("q") and source.endswith('= ""'):
                cell["source"] = source.replace('""', '"a"' if n % 3 else '"b"')
        (folder / f"{student}.ipynb").write_text(json.dumps(nb), encoding="utf-8")


@pytest.fixture(scope="session")
def exam_class(tmp_path_factory) -> Path:
    """<root>/out: the graded class; <root>/subs: its notebooks; <root>/roster.csv: Moodle ids 201…"""
    root = tmp_path_factory.mktemp("exam-class")
    runner = CliRunner()
    released = runner.invoke(main, ["release", "exam", "--out", str(root / "rel")])
    assert released.exit_code == 0, released.output
    write_class(root / "rel", root / "subs")
    (root / "roster.csv").write_text("student,file,lms_id\n" + "".join(
        f"{s},{s}.ipynb,{201 + n}\n" for n, s in enumerate(STUDENTS)))
    graded = runner.invoke(main, ["grade", str(root / "subs"), "--out", str(root / "out"),
                                  "--roster", str(root / "roster.csv")])
    assert graded.exit_code == 0, graded.output
    return root


@pytest.fixture(scope="module")
def out(exam_class, tmp_path_factory) -> Path:
    """A copy of the graded class's output folder of this module's own."""
    target = tmp_path_factory.mktemp("served") / "out"
    shutil.copytree(exam_class / "out", target)
    return target


@pytest.fixture(scope="module")
def server(out) -> Iterator:
    pytest.importorskip("starlette", reason="grader serve needs the serve extra")
    pytest.importorskip("uvicorn", reason="grader serve needs the serve extra")
    from grader.serve import Server

    with Server(out, port=0) as running:
        yield running


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str


class Client:
    """Plain HTTP to the server, with or without its cookie; no redirects followed."""

    def __init__(self, base: str, cookie: str | None = None) -> None:
        self.base = base
        self.cookie = cookie

    def request(self, method: str, path: str, data: dict | None = None, headers: dict[str, str] | None = None,
                body: bytes | None = None) -> Reply:
        sent = {"Origin": self.base, **(headers or {})}
        if self.cookie:
            sent["Cookie"] = self.cookie
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            sent.setdefault("Content-Type", "application/x-www-form-urlencoded")
        request = urllib.request.Request(self.base + path, data=body, method=method, headers=sent)

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as reply:
                return Reply(reply.status, {k.lower(): v for k, v in reply.headers.items()}, reply.read().decode())
        except urllib.error.HTTPError as exc:
            return Reply(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read().decode())

    def get(self, path: str, **kwargs) -> Reply:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, data: dict, **kwargs) -> Reply:
        return self.request("POST", path, data=data, **kwargs)


def signed_in(server) -> Client:
    """A client holding the cookie the token address gives."""
    first = Client(server.base).get(f"/?token={server.token}")
    assert first.status == 303, first
    cookie = first.headers["set-cookie"].split(";")[0]
    return Client(server.base, cookie)


def csrf_of(page: str) -> str:
    import re

    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert found, "no CSRF value on the page"
    return found.group(1)


ARTIFACTS = Path(__file__).resolve().parent.parent.parent / "test-artifacts" / "serve"


class Marker:
    """One person marking in their own browser context (JavaScript on, as a marker's browser is),
    with every console error, page error and request recorded."""

    def __init__(self, browser, server, name: str) -> None:
        self.server = server
        self.context = browser.new_context(viewport={"width": 1100, "height": 900})
        self.context.add_cookies([{"name": f"grader-marker-{server.port}", "value": name, "url": server.base}])
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", lambda dialog: (self.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()))
        reply = self.page.goto(server.url)
        assert reply is not None and reply.ok

    def open(self, path: str) -> None:
        reply = self.page.goto(self.server.base + path)
        assert reply is not None and reply.status == 200, path

    def clean(self) -> None:
        assert self.errors == []
        elsewhere = [u for u in self.requests if not u.startswith((self.server.base, "data:"))]
        assert elsewhere == []

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()
