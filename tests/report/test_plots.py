"""Pictures: drawn only where they help, self-contained SVG with alt text, ids unique on a page."""

import html
import re
import subprocess
import sys

import numpy as np
import pytest

from grader.report import kinds, plots

from .samples import X, boundary_plot, curve_plot, trajectory_plot

KINDS = {
    "curve": lambda: curve_plot(np.maximum(X, 0.0)),  # ReLU where its derivative was asked for
    "trajectory": trajectory_plot,
    "boundary": boundary_plot,
}


def _ids_and_refs(svg):
    return set(re.findall(r'\sid="([^"]+)"', svg)), set(re.findall(r'(?:url\(#|href="#)([^)"]+)', svg))


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_is_an_inline_svg_with_alt_text_and_nothing_to_fetch(kind):
    pic = plots.picture(KINDS[kind](), "en")
    assert pic is not None and pic.alt and pic.caption
    svg = plots.inline(pic, "p7-")
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    alt = html.escape(pic.alt)
    assert 'role="img"' in svg and f'aria-label="{alt}"' in svg and f"<title>{alt}</title>" in svg
    for banned in ("<?xml", "<!DOCTYPE", "<metadata", "<style", "<script", "<image", "@import"):
        assert banned not in svg
    assert "width=" not in svg[:svg.index(">")]  # sized by the page's CSS
    urls = set(re.findall(r"https?://[^\"'\s)]+", svg))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}  # namespaces, not requests
    ids, refs = _ids_and_refs(svg)
    assert refs <= ids and all(i.startswith("p7-") for i in ids)


def test_two_pictures_on_one_page_share_no_id():
    a = plots.inline(plots.picture(KINDS["curve"](), "en"), "f1-")
    b = plots.inline(plots.picture(KINDS["curve"](), "en"), "f2-")
    assert not (_ids_and_refs(a)[0] & _ids_and_refs(b)[0])


def test_alt_text_says_what_the_picture_shows():
    curve = plots.picture(KINDS["curve"](), "en").alt
    assert "largest difference is at x = 5: yours 5, the reference 1" in curve
    assert "después de" not in curve
    assert "la mayor diferencia" in plots.picture(KINDS["curve"](), "es").alt.lower()
    path = plots.picture(trajectory_plot(), "en").alt
    assert "contour lines of Rosenbrock's function" in path and "After 40 steps" in path
    assert "agrees with the reference on 70% of the grid" in plots.picture(boundary_plot(), "en").alt


def test_a_picture_is_in_the_pages_language():
    assert "referencia" in plots.picture(KINDS["curve"](), "es").svg
    assert "reference" in plots.picture(KINDS["curve"](), "en").svg


@pytest.mark.parametrize("kind", list(KINDS))
def test_no_picture_when_the_student_matches_the_reference(kind):
    data = KINDS[kind]()
    assert plots.picture(dict(data, student=data["reference"]), "en") is None


@pytest.mark.parametrize("broken", [
    {"student": None}, {"student": [1.0, 2.0]}, {"student": "text"}, {"x": []}, {"kind": "pie"},
])
def test_data_that_cannot_be_drawn_gives_no_picture_not_an_error(broken):
    assert plots.picture(dict(KINDS["curve"](), **broken), "en") is None


def test_runaway_values_are_kept_out_of_the_view_and_said_in_words():
    wild = curve_plot(np.where(X > 2, 1e30, np.where(X < -4, np.nan, 0.0)))
    pic = plots.picture(wild, "en")
    assert pic is not None
    assert "nan or infinite at" in pic.alt and "outside the plotted range" in pic.alt
    path = trajectory_plot()
    path["student"] = (np.array(path["student"]) * np.geomspace(1, 1e12, 41)[:, None]).tolist()
    assert "leaves the plotted area" in plots.picture(path, "en").alt


def test_the_same_data_is_drawn_once():
    data = curve_plot(np.maximum(X, 0.0) * 0.5)
    first = plots.picture(data, "en")
    before = (plots.COUNTERS.drawn, plots.COUNTERS.reused)
    assert plots.picture(data, "en") is first
    assert (plots.COUNTERS.drawn, plots.COUNTERS.reused) == (before[0], before[1] + 1)


def test_the_objectives_match_the_reference():
    import torch

    import reference.objectives as ref

    w = np.array([[0.3, -1.2], [-1.5, 2.0], [1.0, 1.0]])
    bowl, rosen = kinds.OBJECTIVES["bowl"][0], kinds.OBJECTIVES["rosenbrock"][0]
    np.testing.assert_allclose(bowl(w[:, 0], w[:, 1]), ref.bowl(torch.tensor(w)).cpu().numpy(), rtol=1e-12)
    np.testing.assert_allclose(rosen(w[:, 0], w[:, 1]), ref.rosenbrock(torch.tensor(w)).cpu().numpy(), rtol=1e-12)
    assert kinds.OBJECTIVES["rosenbrock"][1]() == (1.0, 1.0)


def test_importing_the_reports_does_not_import_matplotlib():
    code = "import sys, grader.report, grader.batch; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
