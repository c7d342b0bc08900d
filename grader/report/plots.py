"""Pictures in a student report, drawn server-side by matplotlib into inline SVG.

A picture is drawn only where it says something: for a task with a failed test, when the
student's output exists and visibly differs from the reference's. Three kinds, from the plot data
`grader.evaluate` stores in `TaskResult.plots` (see `grader.exercise.Plot`):

- "curve": `x`, `student`, `reference` are y-values on `x` (an activation and the reference);
- "trajectory": `student`, `reference` are sequences of 2-D points (an optimiser's path); an
  optional `objective` ("bowl" or "rosenbrock", with `objective_args` as in
  `reference.objectives`) puts its contour lines underneath;
- "boundary": `student`, `reference` are class predictions on the grid `grid_x` × `grid_y`
  (rows along y); optional `points` (rows x, y[, label]) and `labels` are the data.

matplotlib is imported on the first picture, never when `grader.report` is imported, and only
its object-oriented `Figure` is used (no pyplot state). The work per picture is kept small: tick
positions are chosen here (matplotlib's automatic locators cost most of a plot), there is no
tight layout, and identical data (students with the same mistake) is drawn once per process.
"""

from __future__ import annotations

import hashlib
import html
import io
import json
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..i18n import Text
from .ui import number

ID_MARK = "__ID__"  # placeholder in cached SVG ids; `inline` makes them unique per page
YOURS = "#c62828"
REFERENCE = "#1f6feb"
CONTOUR = "#b8c1cc"
FIGSIZE = (5.2, 3.3)
AXES_BOX = (0.11, 0.12, 0.86, 0.74)  # left, bottom, width, height: room above for the legend
CACHE_SIZE = 512
MAX_PICTURES = 6  # per report

Draw = Callable[[Any], None]  # draws on a matplotlib Axes


@dataclass(frozen=True)
class Picture:
    svg: str  # one <svg> element whose ids start with ID_MARK
    alt: str  # what the picture shows, in words
    caption: str


@dataclass
class Counters:
    """How much drawing a process did: the cost per picture reported by `scripts/plot_cost`."""

    drawn: int = 0
    reused: int = 0
    seconds: float = 0.0


COUNTERS = Counters()
_LOCK = threading.Lock()
_CACHE: OrderedDict[tuple[str, str], Picture | None] = OrderedDict()
_MPL: Any = None


def picture(plot: Mapping[str, Any], lang: str) -> Picture | None:
    """The picture for `plot` in `lang`, or None when it cannot be drawn or would not help."""
    key = (hashlib.sha1(json.dumps(plot, sort_keys=True, default=str).encode()).hexdigest(), lang)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            COUNTERS.reused += 1
            return _CACHE[key]
    made = _make(plot, lang)
    with _LOCK:
        _CACHE[key] = made
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return made


def inline(pic: Picture, prefix: str) -> str:
    """The picture's <svg> for a page: ids unique on it (`prefix` differs per picture), and its alt text."""
    alt = html.escape(pic.alt, quote=True)
    head_end = pic.svg.index(">")
    return (pic.svg[:head_end] + f' aria-label="{alt}">' + f"<title>{alt}</title>"
            + pic.svg[head_end + 1:]).replace(ID_MARK, prefix)


def _make(plot: Mapping[str, Any], lang: str) -> Picture | None:
    builder = {"curve": _curve, "trajectory": _trajectory, "boundary": _boundary}.get(str(plot.get("kind")))
    if builder is None:
        return None
    try:
        planned = builder(plot, lang)
    except (TypeError, ValueError, KeyError):
        return None  # data of an unexpected shape: no picture rather than a broken report
    if planned is None:
        return None
    draw, alt = planned
    started = time.perf_counter()
    svg = _render(draw, alt)
    COUNTERS.drawn += 1
    COUNTERS.seconds += time.perf_counter() - started
    return Picture(svg=svg, alt=alt, caption=Text.of(plot.get("title"))(lang))


# ---------------------------------------------------------------------------------------------
# The three kinds: each checks its data, decides whether a picture helps, and says it in words.


def _array(value: Any) -> np.ndarray:
    if value is None:
        raise ValueError("no data")
    return np.array(value, dtype=np.float64)  # JSON nulls (nan, inf) become nan


def _differs(student: np.ndarray, reference: np.ndarray) -> bool:
    if student.shape != reference.shape:
        return True
    finite = np.isfinite(reference)
    if np.any(np.isfinite(student) != finite):
        return True
    scale = max(1.0, float(np.ptp(reference[finite]))) if finite.any() else 1.0
    return bool(np.any(np.abs(student[finite] - reference[finite]) > 1e-3 * scale))


def _g(value: float, lang: str) -> str:
    text = f"{value:.3g}".replace("-", "−")
    return text.replace(".", ",") if lang == "es" else text


def _point(p: np.ndarray, lang: str) -> str:
    sep = "; " if lang == "es" else ", "
    return "(" + sep.join(_g(float(v), lang) for v in p) + ")"


def _range(values: np.ndarray, keep: tuple[float, float] | None = None, pad: float = 0.08) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if keep is not None:
        lo, hi = max(lo, keep[0]), min(hi, keep[1])
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    return lo - pad * span, hi + pad * span


def _curve(plot: Mapping[str, Any], lang: str) -> tuple[Draw, str] | None:
    x = _array(plot["x"]).ravel()
    reference = _array(plot["reference"]).ravel()
    student = _array(plot["student"]).ravel()
    if not (x.size == reference.size == student.size) or x.size < 2 or not _differs(student, reference):
        return None
    lo, hi = _range(reference, pad=0.0)
    span = hi - lo or 1.0
    ylim = _range(np.concatenate([reference, student]), keep=(lo - span, hi + span))
    diff = np.abs(student - reference)
    diff = np.where(np.isfinite(diff), diff, np.inf)
    worst = int(np.argmax(diff))
    bad = int(np.sum(~np.isfinite(student)))
    outside = bool(np.any((student < ylim[0]) | (student > ylim[1])))

    def draw(ax: Any) -> None:
        ax.plot(x, reference, color=REFERENCE, lw=3.2, alpha=0.45, label=_ui(lang, "reference"))
        ax.plot(x, student, color=YOURS, lw=1.6, label=_ui(lang, "yours"))
        if np.isfinite(student[worst]) and ylim[0] <= student[worst] <= ylim[1]:
            ax.plot([x[worst]], [student[worst]], "o", ms=7, mfc="none", mec=YOURS, mew=1.4)
        _frame(ax, (float(x.min()), float(x.max())), ylim, lang)
        ax.set_xlabel("x")
        _legend(ax)

    en = (f"Line plot of your function (red) over the reference (blue) for x from {_g(x.min(), 'en')} "
          f"to {_g(x.max(), 'en')}. The largest difference is at x = {_g(x[worst], 'en')}: yours "
          f"{_g(student[worst], 'en')}, the reference {_g(reference[worst], 'en')}.")
    es = (f"Gráfica de tu función (rojo) sobre la de referencia (azul) para x de {_g(x.min(), 'es')} "
          f"a {_g(x.max(), 'es')}. La mayor diferencia está en x = {_g(x[worst], 'es')}: la tuya "
          f"{_g(student[worst], 'es')}, la de referencia {_g(reference[worst], 'es')}.")
    if bad:
        en += f" Yours is nan or infinite at {bad} of {x.size} points."
        es += f" La tuya es nan o infinita en {bad} de {x.size} puntos."
    if outside:
        en += " Some of your values lie outside the plotted range."
        es += " Algunos de tus valores quedan fuera del rango dibujado."
    return draw, es if lang == "es" else en


def _bowl(x: np.ndarray, y: np.ndarray, scales: Any = (1.0, 10.0)) -> np.ndarray:
    return 0.5 * (scales[0] * x**2 + scales[1] * y**2)


def _rosenbrock(x: np.ndarray, y: np.ndarray, a: float = 1.0, b: float = 100.0) -> np.ndarray:
    return (a - x) ** 2 + b * (y - x**2) ** 2


# name → (f(x, y, **args), the minimum (x, y) given args, names in each language)
OBJECTIVES: dict[str, tuple[Callable[..., np.ndarray], Callable[..., tuple[float, float]], Text]] = {
    "bowl": (_bowl, lambda **_: (0.0, 0.0), Text("a quadratic bowl", "un cuenco cuadrático")),
    "rosenbrock": (_rosenbrock, lambda a=1.0, **_: (a, a * a), Text("Rosenbrock's function", "la función de Rosenbrock")),
}


def _path(value: Any) -> np.ndarray:
    path = _array(value)
    path = path.reshape(-1, 2) if path.ndim != 2 and path.size % 2 == 0 else path
    if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] < 1:
        raise ValueError("not a sequence of 2-D points")
    return path


def _trajectory(plot: Mapping[str, Any], lang: str) -> tuple[Draw, str] | None:
    reference = _path(plot["reference"])
    student = _path(plot["student"])
    if not _differs(student, reference):
        return None
    name = plot.get("objective")
    objective = OBJECTIVES.get(str(name)) if name is not None else None
    args = dict(plot.get("objective_args") or {})
    minimum = objective[1](**args) if objective else None
    anchor = np.vstack([reference, [minimum]]) if minimum else reference
    xr, yr = _range(anchor[:, 0], pad=0.15), _range(anchor[:, 1], pad=0.15)
    # The student's path widens the view, but one that runs away must not shrink the reference to a dot.
    keep_x = (xr[0] - 2 * (xr[1] - xr[0]), xr[1] + 2 * (xr[1] - xr[0]))
    keep_y = (yr[0] - 2 * (yr[1] - yr[0]), yr[1] + 2 * (yr[1] - yr[0]))
    xlim = _range(np.concatenate([anchor[:, 0], student[:, 0]]), keep=keep_x, pad=0.1)
    ylim = _range(np.concatenate([anchor[:, 1], student[:, 1]]), keep=keep_y, pad=0.1)
    finite = student[np.all(np.isfinite(student), axis=1)]
    outside = finite.shape[0] < student.shape[0] or bool(np.any(
        (finite[:, 0] < xlim[0]) | (finite[:, 0] > xlim[1]) | (finite[:, 1] < ylim[0]) | (finite[:, 1] > ylim[1])))

    def draw(ax: Any) -> None:
        if objective:
            gx, gy = np.meshgrid(np.linspace(*xlim, 90), np.linspace(*ylim, 90))
            z = objective[0](gx, gy, **args)
            top = float(np.nanmax(z))
            if name == "rosenbrock":
                levels = np.geomspace(max(float(np.nanmin(z)), 1e-3 * top, 0.05), top, 12)
            else:
                levels = top * np.linspace(0.02, 1.0, 10) ** 2
            ax.contour(gx, gy, z, levels=np.unique(levels), colors=CONTOUR, linewidths=0.7)
            ax.plot([minimum[0]], [minimum[1]], "*", ms=11, color="#57606a", label=_ui(lang, "minimum"))
        ax.plot(reference[:, 0], reference[:, 1], "-o", color=REFERENCE, lw=2.4, ms=3, alpha=0.55,
                label=_ui(lang, "reference"))
        ax.plot(student[:, 0], student[:, 1], "-o", color=YOURS, lw=1.4, ms=2.5, label=_ui(lang, "yours"))
        ax.plot([reference[0, 0]], [reference[0, 1]], "o", ms=8, mfc="white", mec="#24292f", mew=1.4,
                label=_ui(lang, "start"))
        _frame(ax, xlim, ylim, lang)
        ax.set_xlabel("w₁")
        ax.set_ylabel("w₂")
        _legend(ax)

    steps = max(student.shape[0], reference.shape[0]) - 1
    where = Text(f" over contour lines of {objective[2].en}", f" sobre las curvas de nivel de {objective[2].es}") \
        if objective else Text("", "")
    en = (f"Your optimiser's path (red) and the reference path (blue){where.en}, from "
          f"{_point(reference[0], 'en')}. After {steps} steps yours ends at {_point(student[-1], 'en')}, "
          f"the reference at {_point(reference[-1], 'en')}.")
    es = (f"La trayectoria de tu optimizador (rojo) y la de referencia (azul){where.es}, desde "
          f"{_point(reference[0], 'es')}. Tras {steps} pasos la tuya termina en {_point(student[-1], 'es')} "
          f"y la de referencia en {_point(reference[-1], 'es')}.")
    if outside:
        en += " Your path leaves the plotted area."
        es += " Tu trayectoria sale del área dibujada."
    return draw, es if lang == "es" else en


def _classes(student: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both prediction grids as class indices 0..k-1 (scores in [0, 1] are cut at 0.5)."""
    values = np.unique(np.concatenate([student[np.isfinite(student)], reference[np.isfinite(reference)]]))
    if values.size > 10:
        student, reference = (student >= 0.5).astype(float), (reference >= 0.5).astype(float)
        values = np.array([0.0, 1.0])
    return (np.searchsorted(values, np.nan_to_num(student, nan=values[0])),
            np.searchsorted(values, np.nan_to_num(reference, nan=values[0])), values)


def _grid(value: Any, nx: int, ny: int) -> np.ndarray:
    grid = _array(value)
    if grid.shape == (nx, ny) and nx != ny:
        return grid.T
    return grid.reshape(ny, nx)


def _boundary(plot: Mapping[str, Any], lang: str) -> tuple[Draw, str] | None:
    gx, gy = _array(plot["grid_x"]).ravel(), _array(plot["grid_y"]).ravel()
    if gx.size < 2 or gy.size < 2:
        return None
    student, reference, values = _classes(_grid(plot["student"], gx.size, gy.size),
                                          _grid(plot["reference"], gx.size, gy.size))
    agree = float(np.mean(student == reference))
    if agree == 1.0:
        return None
    points = _array(plot["points"]) if plot.get("points") is not None else np.zeros((0, 2))
    points = points.reshape(-1, points.shape[-1]) if points.size else np.zeros((0, 2))
    labels = _array(plot["labels"]).ravel() if plot.get("labels") is not None else (
        points[:, 2] if points.shape[1] > 2 else None)
    k = values.size
    palette = ["#dbe9ff", "#ffe1d6", "#dff3e3", "#f3e8ff", "#fff4c2", "#e6edf3"]

    def draw(ax: Any) -> None:
        from matplotlib.colors import ListedColormap
        from matplotlib.lines import Line2D
        from matplotlib.patches import Patch

        cmap = ListedColormap([palette[i % len(palette)] for i in range(k)])
        levels = np.arange(k + 1) - 0.5
        ax.contourf(gx, gy, student, levels=levels, cmap=cmap)
        if np.unique(reference).size > 1:
            ax.contour(gx, gy, reference, levels=levels[1:-1], colors="#24292f", linewidths=1.6,
                       linestyles="dashed")
        if points.shape[0]:
            kinds = np.searchsorted(values, labels) if labels is not None else np.zeros(points.shape[0], int)
            for c in np.unique(kinds):
                at = points[kinds == c]
                ax.plot(at[:, 0], at[:, 1], "os^Dv"[int(c) % 5], ms=6, mfc="white" if c % 2 else "#24292f",
                        mec="#24292f", mew=1.2, ls="none")
        _frame(ax, (float(gx.min()), float(gx.max())), (float(gy.min()), float(gy.max())), lang)
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        handles = [Patch(facecolor=palette[i % len(palette)], edgecolor="#8c959f",
                         label=f"{_ui(lang, 'yours')}: {_g(float(values[i]), lang)}") for i in range(min(k, 4))]
        handles.append(Line2D([], [], color="#24292f", lw=1.6, ls="dashed", label=_ui(lang, "boundary")))
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.01), ncols=len(handles),
                  frameon=False, borderaxespad=0, handlelength=1.6, columnspacing=1.0)

    share = number(round(100 * agree), lang)
    en = (f"Coloured regions show the class your model predicts at each point of the plane; the dashed line "
          f"is the reference decision boundary. Yours agrees with the reference on {share}% of the grid.")
    es = (f"Las regiones de color muestran la clase que predice tu modelo en cada punto del plano; la línea "
          f"discontinua es la frontera de decisión de referencia. La tuya coincide con la de referencia en el "
          f"{share}% de la rejilla.")
    return draw, es if lang == "es" else en


# ---------------------------------------------------------------------------------------------
# Drawing and cleaning the SVG.

WORDS = {
    "en": {"yours": "yours", "reference": "reference", "start": "start", "minimum": "minimum",
           "boundary": "reference boundary"},
    "es": {"yours": "la tuya", "reference": "referencia", "start": "inicio", "minimum": "mínimo",
           "boundary": "frontera de referencia"},
}


def _ui(lang: str, key: str) -> str:
    return WORDS["es" if lang == "es" else "en"][key]


def _ticks(lo: float, hi: float) -> np.ndarray:
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(lo, hi)
    return ticks[(ticks >= lo - 1e-12) & (ticks <= hi + 1e-12)]


def _frame(ax: Any, xlim: tuple[float, float], ylim: tuple[float, float], lang: str) -> None:
    """Limits, ticks placed here (matplotlib's automatic ones are slow) and a light grid."""
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    for axis, (lo, hi) in ((ax.xaxis, xlim), (ax.yaxis, ylim)):
        ticks = _ticks(lo, hi)
        axis.set_ticks(ticks, labels=[_g(float(t) if abs(t) > 1e-12 else 0.0, lang) for t in ticks])
    ax.grid(color="#d0d7de", lw=0.6)
    ax.set_axisbelow(True)


def _legend(ax: Any) -> None:
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.01), ncols=4, frameon=False, borderaxespad=0,
              handlelength=1.8, columnspacing=1.2)


RC = {
    "svg.fonttype": "none",  # text stays text: smaller, sharper, searchable
    "font.size": 9,
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
        os.environ.setdefault("MPLBACKEND", "Agg")  # never a GUI, whoever imports pyplot later
        import matplotlib

        _MPL = matplotlib
    return _MPL


def _render(draw: Draw, alt: str) -> str:
    mpl = _matplotlib()
    from matplotlib.figure import Figure

    buf = io.StringIO()
    with _LOCK, mpl.rc_context(RC):
        fig = Figure(figsize=FIGSIZE)
        draw(fig.add_axes(AXES_BOX))
        fig.savefig(buf, format="svg")
    return _clean(buf.getvalue())


_NUMBER = re.compile(r"-?\d+\.\d{3,}")
_FONT = re.compile(r"font-family: [^;\"]*")


def _clean(svg: str) -> str:
    """matplotlib's SVG made fit to sit inside a page: no prolog, metadata or global style, ids that
    a page can make unique, sizes from CSS, and coordinates to two decimals."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
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
    head_end = svg.index(">")
    head = re.sub(r'\s(?:width|height)="[^"]*"', "", svg[:head_end])
    return head + ' class="plot" role="img" focusable="false"' + svg[head_end:]
