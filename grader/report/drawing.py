"""Drawing with matplotlib into SVG that can sit inside a page.

Only matplotlib's object-oriented `Figure` is used (no pyplot state, no GUI backend), imported on
the first picture. The cost per picture is kept small: tick positions are chosen here (matplotlib's
automatic locators cost most of a plot) and there is no tight layout.
"""

from __future__ import annotations

import io
import re
import sys
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

ID_MARK = "__ID__"  # placeholder in the SVG's ids; `grader.report.plots.inline` makes them unique per page
YOURS = "#c62828"
REFERENCE = "#1f6feb"
CONTOUR = "#b8c1cc"
FIGSIZE = (5.2, 3.3)
AXES_BOX = (0.11, 0.12, 0.86, 0.74)  # left, bottom, width, height: room above for the legend

Draw = Callable[[Any], None]  # draws on a matplotlib Axes

_LOCK = threading.Lock()  # rc_context is process-wide
_MPL: Any = None


def fmt(value: float, lang: str) -> str:
    """A number for a label or an alt text: three significant digits, a true minus sign."""
    text = f"{value:.3g}".replace("-", "−")
    return text.replace(".", ",") if lang == "es" else text


WORDS = {
    "en": {"yours": "yours", "reference": "reference", "start": "start", "minimum": "minimum",
           "boundary": "reference boundary"},
    "es": {"yours": "la tuya", "reference": "referencia", "start": "inicio", "minimum": "mínimo",
           "boundary": "frontera de referencia"},
}


def word(lang: str, key: str) -> str:
    return WORDS["es" if lang == "es" else "en"][key]


def ticks(lo: float, hi: float) -> np.ndarray:
    """Up to six round tick positions within [lo, hi]."""
    from matplotlib.ticker import MaxNLocator

    found = np.asarray(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi), dtype=float)
    return found[(found >= lo - 1e-12) & (found <= hi + 1e-12)]


def frame(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float], lang: str) -> None:
    """Limits, ticks placed here (matplotlib's automatic ones are slow) and a light grid."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    for axis, (lo, hi) in ((ax.xaxis, xlim), (ax.yaxis, ylim)):
        at = ticks(lo, hi)
        axis.set_ticks(at, labels=[fmt(float(t) if abs(t) > 1e-12 else 0.0, lang) for t in at])
    ax.grid(color="#d0d7de", lw=0.6)
    ax.set_axisbelow(True)


def legend(ax: Any) -> None:
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncols=4, frameon=False, borderaxespad=0,
              handlelength=1.8, columnspacing=1.2)


RC = {
    "svg.fonttype": "none",  # text stays text: smaller, sharper, searchable
    "font.size": 10,
    "font.family": "sans-serif",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#57606a",
    "xtick.color": "#57606a",
    "ytick.color": "#57606a",
    "axes.labelcolor": "#24292f",
    "text.color": "#24292f",
    "figure.facecolor": "white",
    "path.simplify": True,
}


def _matplotlib() -> Any:
    global _MPL
    if _MPL is None:
        import matplotlib

        if "matplotlib.pyplot" not in sys.modules:
            matplotlib.use("Agg")  # never a GUI here (the environment, that children inherit, is left alone)
        _MPL = matplotlib
    return _MPL


def render(draw: Draw) -> str:
    mpl = _matplotlib()
    from matplotlib.figure import Figure

    buf = io.StringIO()
    with _LOCK, mpl.rc_context(RC):
        fig = Figure(figsize=FIGSIZE)
        draw(fig.add_axes(AXES_BOX))
        fig.savefig(buf, format="svg")
    return clean(buf.getvalue())


_NUMBER = re.compile(r"-?\d+\.\d{3,}")
_FONT = re.compile(r"font-family: [^;\"]*")


def clean(svg: str) -> str:
    """matplotlib's SVG made fit to sit inside a page: no prolog, metadata or global style, ids that
    a page can make unique, sizes from CSS, and coordinates to two decimals."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.DOTALL)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)
    used = set(re.findall(r'(?:url\(#|href="#)([^)"]+)', svg))
    names = {old: f"{ID_MARK}{i}" for i, old in enumerate(sorted(used))}

    def rename(match: re.Match[str]) -> str:
        old = match.group(1)
        return f' id="{names[old]}"' if old in names else ""

    svg = re.sub(r'\sid="([^"]+)"', rename, svg)
    svg = re.sub(r'(url\(#|href="#)([^)"]+)', lambda m: m.group(1) + names.get(m.group(2), m.group(2)), svg)
    svg = re.sub(r'(\s(?:d|x|y|transform|points)=")([^"]*)"',
                 lambda m: m.group(1) + _NUMBER.sub(lambda n: f"{float(n.group()):.2f}", m.group(2)) + '"', svg)
    svg = _FONT.sub("font-family: 'DejaVu Sans', Verdana, Arial, sans-serif", svg)
    svg = re.sub(r"\s*\n\s*", " ", svg)
    svg = re.sub(r">\s+<", "><", svg)
    svg = svg.strip()
    head_end = svg.index(">")
    head = re.sub(r'\s(?:width|height)="[^"]*"', "", svg[:head_end])
    return head + ' class="plot" role="img" focusable="false"' + svg[head_end:]
