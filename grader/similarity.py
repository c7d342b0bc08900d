"""Near-duplicate submissions across a class, and text pasted twice inside one submission.

Code: each student's code cells are tokenised with identifiers and literals normalised and
fingerprinted by winnowing (the `copydetect` library, MOSS's method), with the released
template's code as boilerplate; so a copy with renamed variables and new formatting still
matches, while independent solutions of the same function share little. Prose: word 5-gram
shingles (accents and case folded) compared by Jaccard similarity, and within one submission,
paragraphs compared with each other. Each flagged pair carries the shared passages side by side.
Flags never change a grade.
"""

from __future__ import annotations

import difflib
import io
import itertools
import json
import re
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .exam import words

CODE_K = 25  # noise threshold: matches shorter than this many normalised characters are ignored
CODE_WINDOW = 6  # winnowing window: matches of CODE_K + CODE_WINDOW - 1 characters are always found
CODE_THRESHOLD = 0.8
CODE_MIN_OVERLAP = 120  # normalised characters in common, so that two tiny notebooks are not flagged
TEXT_SHINGLE = 5
TEXT_THRESHOLD = 0.45
TEXT_MIN_WORDS = 25
REPEAT_THRESHOLD = 0.7
REPEAT_MIN_WORDS = 15


@dataclass(frozen=True)
class Pair:
    a: str
    b: str  # equal to `a` for a passage repeated inside one submission
    kind: str  # "code" | "text"
    similarity: float
    passages: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict[str, object]:
        return {"a": self.a, "b": self.b, "kind": self.kind, "similarity": round(self.similarity, 3),
                "passages": [list(p) for p in self.passages]}


@dataclass(frozen=True)
class Work:
    """What one student wrote: code (all code cells) and prose (answer cells, by name)."""

    student: str
    code: str
    texts: tuple[tuple[str, str], ...]  # (cell tag or position, text)


def _fingerprint(code: str, boilerplate: object = None) -> object:
    from copydetect import CodeFingerprint

    return CodeFingerprint(None, CODE_K, CODE_WINDOW, boilerplate=boilerplate, fp=io.StringIO(code), language="python")


def code_pairs(works: list[Work], template: str = "") -> list[Pair]:
    import numpy as np
    from copydetect import compare_files

    boiler = np.array(sorted(_fingerprint(template).hashes)) if template.strip() else None  # type: ignore[attr-defined]
    prints = {}
    made: dict[str, object] = {}  # identical code (an untouched template, a verbatim copy) fingerprinted once
    for work in works:
        if work.code.strip():
            if work.code not in made:
                try:
                    made[work.code] = _fingerprint(work.code, boiler)
                except Exception:
                    made[work.code] = None  # code pygments cannot tokenise is simply not compared
            if made[work.code] is not None:
                prints[work.student] = made[work.code]
    # Only pairs that share fingerprints are compared (an inverted index, not all n² pairs).
    owners: dict[int, set[str]] = {}
    for student, fp in prints.items():
        for h in set(np.asarray(fp.hashes).tolist()):  # type: ignore[attr-defined]
            owners.setdefault(h, set()).add(student)
    shared: Counter[tuple[str, str]] = Counter()
    for students in owners.values():
        # As MOSS does, a passage found in very many submissions is an idiom, not a copy.
        if 1 < len(students) <= max(10, len(prints) // 5):
            for a, b in itertools.combinations(sorted(students), 2):
                shared[(a, b)] += 1
    pairs = []
    for (a, b), count in shared.items():
        if count < 3:
            continue
        overlap, (sim_a, sim_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
        similarity = float(max(sim_a, sim_b))
        if similarity >= CODE_THRESHOLD and overlap >= CODE_MIN_OVERLAP:
            pairs.append(Pair(a, b, "code", similarity,
                              _code_passages(prints[a].raw_code, prints[b].raw_code, slices_a, slices_b)))  # type: ignore[attr-defined]
    return pairs


def _code_passages(code_a: str, code_b: str, slices_a: object, slices_b: object, limit: int = 3) -> tuple[tuple[str, str], ...]:
    out = []
    starts_a, ends_a = slices_a  # type: ignore[misc]
    starts_b, ends_b = slices_b  # type: ignore[misc]
    spans_a = sorted(zip(starts_a, ends_a), key=lambda s: s[0] - s[1])[:limit]
    spans_b = sorted(zip(starts_b, ends_b), key=lambda s: s[0] - s[1])[:limit]
    for (sa, ea), (sb, eb) in zip(spans_a, spans_b):
        out.append((code_a[int(sa):int(ea)][:1500], code_b[int(sb):int(eb)][:1500]))
    return tuple(out)


def _shingles(tokens: list[str], n: int = TEXT_SHINGLE) -> set[tuple[str, ...]]:
    return {tuple(tokens[i:i + n]) for i in range(max(0, len(tokens) - n + 1))}


def _jaccard(a: set[tuple[str, ...]], b: set[tuple[str, ...]]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _shared_passages(text_a: str, text_b: str, min_words: int = 8, limit: int = 3) -> tuple[tuple[str, str], ...]:
    """Longest runs of words the two texts share, each quoted as written in both."""
    spans_a = [(m.start(), m.end()) for m in re.finditer(r"\S+", text_a)]
    spans_b = [(m.start(), m.end()) for m in re.finditer(r"\S+", text_b)]
    wa = [words(text_a[s:e]) for s, e in spans_a]
    wb = [words(text_b[s:e]) for s, e in spans_b]
    key_a = [" ".join(w) for w in wa]
    key_b = [" ".join(w) for w in wb]
    matcher = difflib.SequenceMatcher(None, key_a, key_b, autojunk=False)
    blocks = sorted((m for m in matcher.get_matching_blocks() if m.size >= min_words), key=lambda m: -m.size)
    out = []
    for m in blocks[:limit]:
        a = text_a[spans_a[m.a][0]:spans_a[m.a + m.size - 1][1]]
        b = text_b[spans_b[m.b][0]:spans_b[m.b + m.size - 1][1]]
        out.append((a[:1500], b[:1500]))
    return tuple(out)


def text_pairs(works: list[Work]) -> list[Pair]:
    joined = {w.student: "\n\n".join(t for _, t in w.texts) for w in works}
    shingles = {s: _shingles(words(text)) for s, text in joined.items() if len(words(text)) >= TEXT_MIN_WORDS}
    pairs = []
    for a, b in itertools.combinations(sorted(shingles), 2):
        similarity = _jaccard(shingles[a], shingles[b])
        if similarity >= TEXT_THRESHOLD:
            pairs.append(Pair(a, b, "text", similarity, _shared_passages(joined[a], joined[b])))
    return pairs


def _paragraphs(work: Work) -> list[str]:
    out = []
    for _, text in work.texts:
        out += [p.strip() for p in re.split(r"\n\s*\n", text) if len(words(p)) >= REPEAT_MIN_WORDS]
    return out


def repeated_text(works: list[Work]) -> list[Pair]:
    """The same passage pasted twice inside one submission (pairs with a == b)."""
    pairs = []
    for work in works:
        paragraphs = _paragraphs(work)
        shingled = [_shingles(words(p), 3) for p in paragraphs]
        best = 0.0
        passages: list[tuple[str, str]] = []
        for i, j in itertools.combinations(range(len(paragraphs)), 2):
            similarity = _jaccard(shingled[i], shingled[j])
            if similarity >= REPEAT_THRESHOLD:
                best = max(best, similarity)
                passages.append((paragraphs[i][:1500], paragraphs[j][:1500]))
        if passages:
            pairs.append(Pair(work.student, work.student, "text", best, tuple(passages[:3])))
    return pairs


def find_similar(works: list[Work], template_code: str = "", template_texts: tuple[str, ...] = ()) -> list[Pair]:
    """Every flagged pair, most similar first."""
    boiler = {" ".join(words(t)) for t in template_texts}
    cleaned = [Work(w.student, w.code, tuple((k, t) for k, t in w.texts if " ".join(words(t)) not in boiler))
               for w in works]
    pairs = code_pairs(cleaned, template_code) + text_pairs(cleaned) + repeated_text(cleaned)
    return sorted(pairs, key=lambda p: (-p.similarity, p.a, p.b))


def work_of(student: str, code_cells: list[str], markdown: list[tuple[tuple[str, ...], str, str]]) -> Work:
    """A student's work from their notebook: code cells (magics neutralised) and prose cells as
    (tags, source, answer-without-prompt). Rendered choice questions are not the student's prose."""
    from .sandbox.magics import neutralise

    code = "\n\n".join(neutralise(c).source for c in code_cells)
    texts = tuple(((tags[0] if tags else f"cell {n + 1}"), answer) for n, (tags, source, answer) in enumerate(markdown)
                  if answer.strip() and not any(t.startswith("choice:") for t in tags))
    return Work(student, code, texts)


def template_of(folder: Path) -> tuple[str, tuple[str, ...]]:
    """The code and prose every student starts from, read from the exercise's solution notebook."""
    from .release import strip_solutions

    path = folder / "solution.ipynb"
    if not path.is_file():
        return "", ()
    cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])

    def text(cell: dict[str, Any]) -> str:
        source = cell.get("source", "")
        return "".join(source) if isinstance(source, list) else str(source)

    def tags(cell: dict[str, Any]) -> list[str]:
        return list(cell.get("metadata", {}).get("tags", []))

    code = "\n\n".join(strip_solutions(text(c)) for c in cells if c.get("cell_type") == "code"
                        and "solution" not in tags(c))
    prose = tuple(text(c) for c in cells if c.get("cell_type") == "markdown" and "solution" not in tags(c))
    return code, prose


class Background:
    """Similarity of a batch computed in a separate process while the batch is graded."""

    def __init__(self, groups: list[tuple[list[Work], Path | None]]) -> None:
        payload = [{"folder": str(folder) if folder else None,
                    "works": [[w.student, w.code, [list(t) for t in w.texts]] for w in works]}
                   for works, folder in groups if works]
        self.proc: subprocess.Popen[bytes] | None = None
        self.error = ""
        if not payload:
            return
        self.proc = subprocess.Popen([sys.executable, "-m", "grader.similarity"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._output: tuple[bytes, bytes] = (b"", b"")
        data = json.dumps(payload).encode()
        # The exchange runs on a thread, so the process starts work now and no pipe fills up.
        self._thread = threading.Thread(target=self._talk, args=(data,), daemon=True)
        self._thread.start()

    def _talk(self, data: bytes) -> None:
        assert self.proc is not None
        self._output = self.proc.communicate(data)

    def result(self) -> list[Pair]:
        if self.proc is None:
            return []
        self._thread.join()
        out, err = self._output
        if self.proc.returncode != 0:
            self.error = err.decode("utf-8", "replace")[-2000:]
            return []
        return [Pair(p["a"], p["b"], p["kind"], p["similarity"], tuple(tuple(x) for x in p["passages"]))
                for p in json.loads(out)]


def main() -> int:
    groups = json.load(sys.stdin)
    pairs: list[Pair] = []
    for group in groups:
        works = [Work(s, code, tuple((k, t) for k, t in texts)) for s, code, texts in group["works"]]
        code, prose = template_of(Path(group["folder"])) if group["folder"] else ("", ())
        pairs += find_similar(works, code, prose)
    json.dump([p.to_json() for p in pairs], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
