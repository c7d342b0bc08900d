"""What every LMS export needs: the LMS ids a result carries, scaled grades, feedback documents."""

from __future__ import annotations

import html
import io
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from ..i18n import Text
from ..results import SubmissionResult


def lms_meta(result: SubmissionResult) -> dict[str, Any]:
    return dict(result.meta.get("lms") or {})


def roster_meta(result: SubmissionResult) -> dict[str, Any]:
    return dict(result.meta.get("roster") or {})


def moodle_participant(result: SubmissionResult) -> str | None:
    """The N of Moodle's "Participant N": from the download's folder name, else the roster."""
    lms = lms_meta(result)
    if lms.get("platform") == "moodle" and lms.get("participant"):
        return str(lms["participant"])
    lms_id = roster_meta(result).get("lms_id", "")
    return lms_id if lms_id.isascii() and lms_id.isdigit() else None


def canvas_user_id(result: SubmissionResult) -> str | None:
    lms = lms_meta(result)
    if lms.get("platform") == "canvas" and lms.get("user_id"):
        return str(lms["user_id"])
    lms_id = roster_meta(result).get("lms_id", "")
    return lms_id if lms_id.isascii() and lms_id.isdigit() else None


def scaled(result: SubmissionResult, maximum: Decimal, decimals: int) -> Decimal:
    """The result's score on a scale of `maximum`, rounded half up to `decimals` places."""
    if result.max_score <= 0 or result.status == "error":
        value = Decimal(0)
    else:
        value = Decimal(repr(result.score)) / Decimal(repr(result.max_score)) * maximum
    return min(value, maximum).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def plain_number(value: Decimal) -> str:
    """8.50 → "8.5", 10.00 → "10": no exponent, no trailing zeros."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _pts(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def feedback_comment(result: SubmissionResult, title: Text, lang: str) -> str:
    """A short HTML comment: the score, each task's score, and where the full report is.

    Only scores and task titles: what a hidden test checked stays in the report's student view.
    """
    words = {"en": ("Score", "The full feedback report is attached as a file.", "Not graded"),
             "es": ("Nota", "El informe completo va adjunto como archivo.", "Sin corregir")}[lang]
    head = f"<p>{html.escape(title(lang))} — {words[0]}: {_pts(result.score)}/{_pts(result.max_score)}</p>"
    if result.status == "error":
        reason = result.error(lang) if result.error is not None else words[2]
        return head + f"<p>{html.escape(reason)}</p><p>{words[1]}</p>"
    items = "".join(f"<li>{html.escape(task.title(lang) or task.id)}: {_pts(task.score)}/{_pts(task.max_score)}</li>"
                    for task in result.tasks)
    return head + (f"<ul>{items}</ul>" if items else "") + f"<p>{words[1]}</p>"


def exercise_title(exercise: str | None) -> Text:
    from ..errors import GraderError
    from ..library import load

    if exercise:
        try:
            return load(exercise).title
        except GraderError:
            pass
    return Text("Notebook", "Cuaderno")


def report_html(result: SubmissionResult, title: Text, lang: str) -> bytes:
    from ..report import render_student

    return render_student(result, title, lang).encode("utf-8")


def zip_bytes(members: list[tuple[str, bytes]], executable: tuple[str, ...] = ()) -> bytes:
    """A zip of `members` (name, data), in order, with fixed times so that equal input gives equal bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = (0o100755 if name in executable else 0o100644) << 16
            zf.writestr(info, data)
    return buffer.getvalue()
