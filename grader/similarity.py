"""Groups of similar submissions across a class, and text pasted twice inside one submission.

Code: each student's code cells are tokenised with identifiers and literals normalised and
fingerprinted by winnowing (MOSS's method), with the released template's code as boilerplate; so
a copy with renamed variables and new formatting still matches, while independent solutions of
the same function share little. Prose: word 5-gram shingles (accents and case folded) compared
by Jaccard similarity, and within one submission, paragraphs compared with each other. Flags
never change a grade.

Submissions are taken one at a time. Each is compared only with the few earlier ones an index
of shared fingerprints names, and joins their group when a comparison confirms it (union-find);
a near-copy of a group is not indexed again, so a hundred identical notebooks cost one entry.
What is reported is one entry per group, with its closest pair and one passage they share, never
every pair. Every step is capped (text per submission, paragraphs, fingerprints looked up,
candidates per fingerprint and per submission) and the whole step has a time budget: when it
runs out, the submissions not yet compared are left out and the findings say they are partial.
"""

from __future__ import annotations

import json
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .fingerprints import (
    Groups,
    Index,
    Link,
    code_print,
    compare_code,
    jaccard,
    shared_run,
    shingles,
    sketch,
    template_hashes,
)
from .untrusted import clean

CODE_THRESHOLD = 0.8
CODE_MIN_OVERLAP = 120  # normalised characters in common, so that two tiny notebooks are not flagged
TEXT_SHINGLE = 5
TEXT_THRESHOLD = 0.45
TEXT_MIN_WORDS = 25
REPEAT_SHINGLE = 3
REPEAT_THRESHOLD = 0.7
REPEAT_MIN_WORDS = 15

# Caps: what one submission can cost, whatever it holds.
MAX_CODE_CHARS = 60_000  # code compared per submission (the rest is left out, and said so)
MAX_TEXT_CHARS = 60_000  # written answers compared per submission
MAX_PARAGRAPHS = 600  # paragraphs of one submission checked for repetition
SKETCH = 128  # fingerprints of a submission looked up and indexed
PARAGRAPH_SKETCH = 24
PER_KEY = 32  # submissions kept per fingerprint; a fingerprint held by more is an idiom
PARAGRAPH_PER_KEY = 8
CANDIDATES = 6  # earlier submissions a new one is compared with, at most
NEAR_COPY = 0.9  # a submission this close to its group adds nothing to the index
INDEXED_PER_GROUP = 4  # looser members of a group that are indexed too, so that chains are found
MAX_INDEXED = 4_000  # submissions indexed per kind: beyond, the rest are compared with these only
PASSAGE_WORDS = 5_000  # words searched for a shared passage of prose
MAX_NOTES = 20
BUDGET_SECONDS = 30.0  # processor time for the whole step


@dataclass(frozen=True)
class Group:
    """Students whose work is alike; one student: a passage repeated inside that submission."""

    kind: str  # "code" | "text"
    students: tuple[str, ...]
    similarity: float  # of the closest pair
    pair: tuple[str, str]  # the closest pair (the same student twice for a repetition)
    passage: tuple[str, str]  # a passage the pair shares, as each of them wrote it

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "students": list(self.students), "similarity": round(self.similarity, 3),
                "pair": list(self.pair), "passage": list(self.passage)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Group:
        return cls(str(data["kind"]), tuple(str(s) for s in data["students"]), float(data["similarity"]),
                   (str(data["pair"][0]), str(data["pair"][1])), (str(data["passage"][0]), str(data["passage"][1])))


@dataclass(frozen=True)
class Findings:
    groups: tuple[Group, ...] = ()
    partial: bool = False  # the budget ran out or the step failed: some submissions were not compared
    notes: tuple[str, ...] = ()  # what was left out and why
    compared: int = 0  # submissions compared
    submitted: int = 0  # submissions handed to the step

    def to_json(self) -> dict[str, object]:
        return {"groups": [g.to_json() for g in self.groups], "partial": self.partial, "notes": list(self.notes),
                "compared": self.compared, "submitted": self.submitted}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Findings:
        return cls(tuple(Group.from_json(g) for g in data["groups"]), bool(data["partial"]),
                   tuple(str(n) for n in data["notes"]), int(data["compared"]), int(data["submitted"]))


@dataclass(frozen=True)
class Work:
    """What one student wrote: code (all code cells) and prose (answer cells, by name)."""

    student: str
    code: str
    texts: tuple[tuple[str, str], ...]  # (cell tag or position, text)
    cut: tuple[str, ...] = ()  # "code", "text": what was longer than the caps and was cut


def bounded(work: Work) -> Work:
    """`work` within the caps on code and prose, as valid text, saying what was cut."""
    cut = list(work.cut)
    code = clean(work.code)
    if len(code) > MAX_CODE_CHARS:
        code = code[:MAX_CODE_CHARS]
        cut.append("code")
    texts, room = [], MAX_TEXT_CHARS
    for key, text in work.texts:
        if room <= 0 or len(text) > room:
            cut.append("text")
        if room > 0:
            texts.append((key, clean(text[:room])))
        room -= len(text)
    if code == work.code and tuple(texts) == work.texts and len(cut) == len(work.cut):
        return work
    return Work(work.student, code, tuple(texts), tuple(dict.fromkeys(cut)))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """The words of `text`, lower case without accents: `grader.exam.words`, with only the
    characters outside ASCII looked at one by one."""
    folded = unicodedata.normalize("NFKD", text.lower())
    folded = _NON_ASCII.sub(lambda m: "" if unicodedata.combining(m.group()) else " ", folded)
    return _WORD.findall(folded)


class _Budget:
    stop = False  # set by `stop()`: grading will not wait any longer

    def __init__(self, seconds: float) -> None:
        self.end = time.process_time() + seconds

    @property
    def spent(self) -> bool:
        return _Budget.stop or time.process_time() >= self.end


def stop() -> None:
    """Every comparison of this process stops at its next check and reports what it compared."""
    _Budget.stop = True


def _paragraphs(texts: tuple[tuple[str, str], ...]) -> Iterator[tuple[str, list[str]]]:
    for _, text in texts:
        for paragraph in re.split(r"\n\s*\n", text):
            tokens = words(paragraph)
            if len(tokens) >= REPEAT_MIN_WORDS:
                yield paragraph.strip(), tokens


def repetition(work: Work, budget: _Budget) -> Group | None:
    """The closest two paragraphs of one submission when they repeat each other."""
    index = Index(PARAGRAPH_PER_KEY)
    seen: list[tuple[str, Any]] = []
    best: Link | None = None
    for n, (paragraph, tokens) in enumerate(_paragraphs(work.texts)):
        if n >= MAX_PARAGRAPHS or (n % 50 == 0 and budget.spent):
            break
        prints = shingles(tokens, REPEAT_SHINGLE)
        keys = sketch(prints, PARAGRAPH_SKETCH)
        for other in index.candidates(keys, 3, 2):
            similarity = jaccard(prints, seen[other][1])
            if similarity >= REPEAT_THRESHOLD and (best is None or similarity > best.similarity):
                best = Link(similarity, (work.student, work.student),
                            (seen[other][0][:1500], paragraph[:1500]))
        index.add(keys, len(seen))
        seen.append((paragraph, prints))
    if best is None:
        return None
    return Group("text", (work.student,), best.similarity, best.pair, best.passage)


def _prose_passage(text_a: str, text_b: str) -> tuple[str, str]:
    """The longest run of words two texts share, quoted as each of them wrote it."""
    spans_a = [m.span() for m in re.finditer(r"\S+", text_a)][:PASSAGE_WORDS]
    spans_b = [m.span() for m in re.finditer(r"\S+", text_b)][:PASSAGE_WORDS]
    key_a = [" ".join(words(text_a[s:e])) for s, e in spans_a]
    key_b = [" ".join(words(text_b[s:e])) for s, e in spans_b]
    i, j, length = shared_run(key_a, key_b, TEXT_SHINGLE)
    if not length:
        return "", ""
    return (text_a[spans_a[i][0]:spans_a[i + length - 1][1]][:1500],
            text_b[spans_b[j][0]:spans_b[j + length - 1][1]][:1500])


@dataclass
class _Kind:
    """The index, the kept prints and the groups of one kind of work (code or prose)."""

    index: Index = field(default_factory=lambda: Index(PER_KEY))
    groups: Groups = field(default_factory=Groups)
    kept: list[tuple[str, Any]] = field(default_factory=list)  # indexed prints: (student, print)
    same: dict[bytes, int] = field(default_factory=dict)  # an exact print → its entry in `kept`
    full: bool = False  # MAX_INDEXED reached

    def add(self, student: str, found: Any, keys: list[int], digest: bytes,
            measure: Callable[[Any, Any], float | None], passage: Callable[[Any, Any], tuple[str, str]]) -> None:
        """Compare a new print with the candidates the index names (`measure`: the similarity of
        two prints, None below the threshold), join the groups it matches, and index it unless its
        group already holds a near copy of it."""
        exact = self.same.get(digest)
        candidates = [exact] if exact is not None else self.index.candidates(keys, CANDIDATES, 3)
        closest = 0.0
        for entry in candidates:
            other, print_ = self.kept[entry]
            similarity = 1.0 if entry == exact else measure(print_, found)
            if similarity is None:
                continue
            closest = max(closest, similarity)
            # The passage is quoted only when this pair becomes its group's closest.
            better = similarity > max(self.groups.closest(other), self.groups.closest(student))
            self.groups.join(other, student, Link(similarity, (other, student),
                                                  passage(print_, found) if better else ("", "")))
        if exact is not None:
            return
        if closest >= NEAR_COPY or (closest > 0 and self.groups.indexed(student) >= INDEXED_PER_GROUP):
            return
        if len(self.kept) >= MAX_INDEXED:
            self.full = True  # memory stays bounded however large the class
            return
        self.groups.count_indexed(student)
        self.same[digest] = len(self.kept)
        self.index.add(keys, len(self.kept))
        self.kept.append((student, found))

    def report(self, kind: str) -> list[Group]:
        out = []
        for root, students in self.groups.members().items():
            link = self.groups.best[root]
            out.append(Group(kind, tuple(students), link.similarity, link.pair, link.passage))
        return out


class Comparer:
    """Takes a class's submissions one at a time; `findings()` gives the groups so far."""

    def __init__(self, template_code: str = "", template_texts: Iterable[str] = (),
                 budget: float = BUDGET_SECONDS) -> None:
        self.boilerplate = template_hashes(template_code)
        self.template_texts = {" ".join(words(t)) for t in template_texts}
        self.budget = _Budget(budget)
        self.code, self.text = _Kind(), _Kind()
        self.repeated: list[Group] = []
        self.notes: list[str] = []
        self.compared = self.submitted = 0

    def _note(self, text: str) -> None:
        if len(self.notes) < MAX_NOTES:
            self.notes.append(text)

    def add(self, work: Work) -> None:
        self.submitted += 1
        if self.budget.spent:
            return
        work = bounded(work)
        self.compared += 1
        for what in work.cut:
            limit = MAX_CODE_CHARS if what == "code" else MAX_TEXT_CHARS
            self._note(f"{work.student}: only the first {limit} characters of {what} were compared")
        texts = tuple((k, t) for k, t in work.texts if " ".join(words(t)) not in self.template_texts)
        try:
            self._add_code(work)
            self._add_text(work.student, texts)
            found = repetition(replace(work, texts=texts), self.budget)
        except Exception as exc:  # one submission the comparison cannot take is left out, not the class
            self._note(f"{work.student}: not compared ({type(exc).__name__})")
            return
        if found is not None:
            self.repeated.append(found)

    def _add_code(self, work: Work) -> None:
        found = code_print(work.code, self.boilerplate) if work.code.strip() else None
        if found is None:
            return

        def measure(a: Any, b: Any) -> float | None:
            match = compare_code(a, b)
            return match.similarity if match.similarity >= CODE_THRESHOLD and match.overlap >= CODE_MIN_OVERLAP \
                else None

        self.code.add(work.student, found, sketch(found.unique, SKETCH), found.digest, measure,
                      lambda a, b: compare_code(a, b, passage=True).passage)

    def _add_text(self, student: str, texts: tuple[tuple[str, str], ...]) -> None:
        joined = "\n\n".join(t for _, t in texts)
        tokens = words(joined)
        if len(tokens) < TEXT_MIN_WORDS:
            return
        prints = shingles(tokens, TEXT_SHINGLE)

        def measure(a: Any, b: Any) -> float | None:
            similarity = jaccard(a[1], b[1])
            return similarity if similarity >= TEXT_THRESHOLD else None

        self.text.add(student, (joined, prints), sketch(prints, SKETCH), prints.tobytes(), measure,
                      lambda a, b: _prose_passage(a[0], b[0]))

    def findings(self) -> Findings:
        notes = list(self.notes)
        for kind, held in (("code", self.code), ("prose", self.text)):
            if held.full:
                notes.insert(0, f"over {MAX_INDEXED} distinct submissions of {kind}: the later ones were compared "
                                f"with the first {MAX_INDEXED} only")
        partial = self.compared < self.submitted
        if partial:
            notes.insert(0, f"the comparison ran out of time (its budget, or grading's wait for it): "
                            f"{self.submitted - self.compared} of {self.submitted} submissions were not compared")
        groups = self.code.report("code") + self.text.report("text") + self.repeated
        groups.sort(key=lambda g: (-g.similarity, -len(g.students), g.kind, g.students))
        return Findings(tuple(groups), partial, tuple(notes), self.compared, self.submitted)


def find_similar(works: Iterable[Work], template_code: str = "", template_texts: tuple[str, ...] = (),
                 budget: float = BUDGET_SECONDS) -> Findings:
    """Groups of similar submissions, the closest first."""
    comparer = Comparer(template_code, template_texts, budget)
    for work in works:
        comparer.add(work)
    return comparer.findings()


def work_of(student: str, code_cells: list[str], markdown: list[tuple[tuple[str, ...], str, str]]) -> Work:
    """A student's work from their notebook: code cells (magics neutralised) and prose cells as
    (tags, source, answer-without-prompt), within the caps. Rendered choice questions are not the
    student's prose."""
    from .sandbox.magics import neutralise

    code = "\n\n".join(neutralise(c[:MAX_CODE_CHARS]).source for c in code_cells)
    texts = tuple(((tags[0] if tags else f"cell {n + 1}"), answer) for n, (tags, source, answer) in enumerate(markdown)
                  if answer.strip() and not any(t.startswith("choice:") for t in tags))
    return bounded(Work(student, code, texts))


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
