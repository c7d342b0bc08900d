"""The three kinds of picture: each checks its data, decides whether a picture helps, and says in
words what it shows (the alt text).

- "curve": `x`, `student`, `reference` are y-values on `x` (an activation and the reference);
- "trajectory": `student`, `reference` are sequences of 2-D points (an optimiser's path); an
  optional `objective` ("bowl" or "rosenbrock", with `objective_args` as in
  `reference.objectives`) puts its contour lines underneath;
- "boundary": `student`, `reference` are class predictions on the grid `grid_x` × `grid_y`
  (rows along y); optional `points` (rows x, y[, label]) and `labels` are the data.

Each returns the drawing and its alt text, or None when the student's output matches the
reference (a picture of two equal things says nothing).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..i18n import Text
from .drawing import CONTOUR, REFERENCE, YOURS, Draw, fmt, frame, legend, word
from .ui import number

Planned = tuple[Draw, str] | None


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


def _point(p: np.ndarray, lang: str) -> str:
    sep = "; " if lang == "es" else ", "
    return "(" + sep.join(fmt(float(v), lang) for v in p) + ")"


def _range(values: np.ndarray, keep: tuple[float, float] | None = None, pad: float = 0.08) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (-1.0, 1.0)
    if keep is not None:
        lo, hi = max(lo, keep[0]), min(hi, keep[1])
    if hi - lo < 1e-9:
        lo, hi = lo - 1.0, hi + 1.0
    span = hi - lo
    return lo - pad * span, hi + pad * span


def curve(plot: Mapping[str, Any], lang: str) -> tuple[Draw, str] | None:
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
        ax.plot(x, reference, color=REFERENCE, lw=3.2, alpha=0.45, label=word(lang, "reference"))
        ax.plot(x, student, color=YOURS, lw=1.6, label=word(lang, "yours"))
        if np.isfinite(student[worst]) and ylim[0] <= student[worst] <= ylim[1]:
            ax.plot([x[worst]], [student[worst]], "o", ms=7, mfc="none", mec=YOURS, mew=1.4)
        frame(ax, (float(x.min()), float(x.max())), ylim, lang)
        ax.set_xlabel("x")
        legend(ax)

    en = (f"Line plot of your function (red) over the reference (blue) for x from {fmt(x.min(), 'en')} "
          f"to {fmt(x.max(), 'en')}. The largest difference is at x = {fmt(x[worst], 'en')}: yours "
          f"{fmt(student[worst], 'en')}, the reference {fmt(reference[worst], 'en')}.")
    es = (f"Gráfica de tu función (rojo) sobre la de referencia (azul) para x de {fmt(x.min(), 'es')} "
          f"a {fmt(x.max(), 'es')}. La mayor diferencia está en x = {fmt(x[worst], 'es')}: la tuya "
          f"{fmt(student[worst], 'es')}, la de referencia {fmt(reference[worst], 'es')}.")
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
    "rosenbrock": (_rosenbrock, lambda a=1.0, **_: (a, a * a),
                   Text("Rosenbrock's function", "la función de Rosenbrock")),
}


def _path(value: Any) -> np.ndarray:
    path = _array(value)
    path = path.reshape(-1, 2) if path.ndim != 2 and path.size % 2 == 0 else path
    if path.ndim != 2 or path.shape[1] != 2 or path.shape[0] < 1:
        raise ValueError("not a sequence of 2-D points")
    return path


def _square(xr: tuple[float, float], yr: tuple[float, float]) -> tuple[tuple[float, float], tuple[float, float]]:
    """Widen the narrower range to half the wider one: a path along one axis still shows the other."""
    least = 0.5 * max(xr[1] - xr[0], yr[1] - yr[0])

    def widen(r: tuple[float, float]) -> tuple[float, float]:
        grow = max(0.0, least - (r[1] - r[0])) / 2
        return r[0] - grow, r[1] + grow

    return widen(xr), widen(yr)


def _cover(view: tuple[float, float], values: np.ndarray, pad: float) -> tuple[float, float]:
    """`view` widened to hold `values`, with a margin."""
    return min(view[0], float(values.min()) - pad), max(view[1], float(values.max()) + pad)


def trajectory(plot: Mapping[str, Any], lang: str) -> tuple[Draw, str] | None:
    reference = _path(plot["reference"])
    student = _path(plot["student"])
    if not _differs(student, reference):
        return None
    name = plot.get("objective")
    objective = OBJECTIVES.get(str(name)) if name is not None else None
    args = dict(plot.get("objective_args") or {})
    minimum = objective[1](**args) if objective else None
    anchor = np.vstack([reference, [minimum]]) if minimum else reference
    xr, yr = _square(_range(anchor[:, 0], pad=0.15), _range(anchor[:, 1], pad=0.15))
    # The student's path widens the view, but one that runs away must not shrink the reference to a dot.
    keep_x = (xr[0] - 2 * (xr[1] - xr[0]), xr[1] + 2 * (xr[1] - xr[0]))
    keep_y = (yr[0] - 2 * (yr[1] - yr[0]), yr[1] + 2 * (yr[1] - yr[0]))
    finite = student[np.all(np.isfinite(student), axis=1)]
    xlim, ylim = xr, yr
    if finite.size:
        xlim = _cover(xr, np.clip(finite[:, 0], *keep_x), 0.05 * (xr[1] - xr[0]))
        ylim = _cover(yr, np.clip(finite[:, 1], *keep_y), 0.05 * (yr[1] - yr[0]))
    outside = finite.shape[0] < student.shape[0] or bool(np.any(
        (finite[:, 0] < xlim[0]) | (finite[:, 0] > xlim[1]) | (finite[:, 1] < ylim[0]) | (finite[:, 1] > ylim[1])))

    def draw(ax: Any) -> None:
        if objective and minimum is not None:
            gx, gy = np.meshgrid(np.linspace(*xlim, 90), np.linspace(*ylim, 90))
            z = objective[0](gx, gy, **args)
            top = float(np.nanquantile(z, 0.9))  # the steep walls would otherwise take every line
            if name == "rosenbrock":
                levels = np.geomspace(max(float(np.nanmin(z)), 1e-3 * top, 0.05), top, 12)
            else:
                levels = top * np.linspace(0.02, 1.0, 10) ** 2
            ax.contour(gx, gy, z, levels=np.unique(levels), colors=CONTOUR, linewidths=0.7)
            ax.plot([minimum[0]], [minimum[1]], "*", ms=11, color="#57606a", label=word(lang, "minimum"))
        ax.plot(reference[:, 0], reference[:, 1], "-o", color=REFERENCE, lw=2.4, ms=3, alpha=0.55,
                label=word(lang, "reference"))
        ax.plot(student[:, 0], student[:, 1], "-o", color=YOURS, lw=1.4, ms=2.5, label=word(lang, "yours"))
        ax.plot([reference[0, 0]], [reference[0, 1]], "o", ms=8, mfc="white", mec="#24292f", mew=1.4,
                label=word(lang, "start"))
        frame(ax, xlim, ylim, lang)
        ax.set_xlabel("w₁")
        ax.set_ylabel("w₂")
        legend(ax)

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


def boundary(plot: Mapping[str, Any], lang: str) -> tuple[Draw, str] | None:
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
        frame(ax, (float(gx.min()), float(gx.max())), (float(gy.min()), float(gy.max())), lang)
        ax.set_xlabel("x₁")
        ax.set_ylabel("x₂")
        handles: list[Any] = [Patch(facecolor=palette[i % len(palette)], edgecolor="#8c959f",
                         label=f"{word(lang, 'yours')}: {fmt(float(values[i]), lang)}") for i in range(min(k, 4))]
        handles.append(Line2D([], [], color="#24292f", lw=1.6, ls="dashed", label=word(lang, "boundary")))
        ax.legend(handles=handles, loc="lower left", bbox_to_anchor=(0, 1.01), ncols=len(handles),
                  frameon=False, borderaxespad=0, handlelength=1.6, columnspacing=1.0)

    share = number(round(100 * agree), lang)
    en = (f"Coloured regions show the class your model predicts at each point of the plane; the dashed line "
          f"is the reference decision boundary. Yours agrees with the reference on {share}% of the grid.")
    es = (f"Las regiones de color muestran la clase que predice tu modelo en cada punto del plano; la línea "
          f"discontinua es la frontera de decisión de referencia. La tuya coincide con la de referencia en el "
          f"{share}% de la rejilla.")
    return draw, es if lang == "es" else en


KINDS: dict[str, Callable[[Mapping[str, Any], str], Planned]] = {
    "curve": curve, "trajectory": trajectory, "boundary": boundary}
