"""The marking server's pages, rendered with the report templates' Jinja2 settings (autoescape
everywhere: every student text arrives here as hostile data and leaves as text)."""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from ..manual import Entry
from ..report.pages import environment
from ..report.ui import UI, number
from .words import WORDS


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)


@lru_cache(maxsize=1)
def report_css() -> str:
    """The reports' style sheet, as their `<style>` element holds it."""
    page = environment().from_string('<style>{% include "_style.css.j2" %}</style>').render()
    return page[len("<style>"):-len("</style>")]


def style_hashes() -> list[str]:
    """The CSP hash of the reports' one style element."""
    return [base64.b64encode(hashlib.sha256(report_css().encode()).digest()).decode()]


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    version: str  # in the asset's address, so a browser may keep it until it changes


@lru_cache(maxsize=1)
def assets() -> dict[str, Asset]:
    """Every file the pages load, served by the app itself: no CDN, no build step."""
    folder = resources.files("grader.serve") / "static"
    found = {"report.css": report_css().encode()}
    for name in ("serve.css", "marking.js"):
        found[name] = (folder / name).read_bytes()
    types = {".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
    return {name: Asset(body, types[name[name.rfind("."):]], hashlib.sha256(body).hexdigest()[:12])
            for name, body in found.items()}


def asset_url(name: str) -> str:
    return f"/static/{name}?v={assets()[name].version}"


@dataclass
class Nav:
    """What every page's navigation bar needs: where it is, who marks, and the form's CSRF value."""

    lang: str
    csrf: str
    marker: str
    here: str
    extra: list[dict[str, str]] = field(default_factory=list)

    @property
    def w(self) -> dict[str, str]:
        return WORDS[self.lang]

    @property
    def css(self) -> str:
        return asset_url("serve.css")

    @property
    def report_css(self) -> str:
        return asset_url("report.css")

    @property
    def js(self) -> str:
        return asset_url("marking.js")


def page(name: str, nav: Nav, **context: Any) -> str:
    return render(f"serve/{name}.html.j2", nav=nav, lang=nav.lang, w=nav.w, ui=UI[nav.lang], **context)


def when(entry: Entry, lang: str) -> str:
    """A mark's time as a person reads it: the stored UTC time, to the minute."""
    match = re.match(r"(\d{4}-\d\d-\d\d)T(\d\d:\d\d)", entry.entered_at)
    return f"{match.group(1)} {match.group(2)} UTC" if match else entry.entered_at


def who(entry: Entry) -> str:
    return entry.source.removeprefix("browser: ")


def described(entry: Entry, lang: str) -> str:
    points = WORDS[lang]["removed"] if entry.points is None else number(entry.points, lang)
    text = f"{entry.task} · {entry.criterion}: {points} · {who(entry)} · {when(entry, lang)}"
    return text + (f" · “{entry.comment}”" if entry.comment else "")
