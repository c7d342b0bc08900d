"""Fingerprints of code and prose, an index that finds look-alikes, and groups of them.

The machinery under `grader.similarity`, kept apart so that each piece can be read alone:

- `CodePrint`: winnowed hashes of a program's normalised tokens (MOSS's method: names,
  strings, comments and layout do not count), held as compact arrays; `compare_code` measures
  how much of each of two programs lies in runs they share.
- `shingles`: word n-grams of prose, hashed, compared by Jaccard similarity.
- `Index`: an inverted index from a print's smallest hashes (a bottom-k sketch, so that two
  prints sample the same hashes) to the prints holding them, each list capped: a hash held by
  more prints than the cap is an idiom and stops naming candidates.
- `Groups`: union-find over the submissions linked by a verified match, each group keeping its
  closest pair and one passage they share.

Everything is bounded by the caller's caps: a lookup costs at most sketch × cap steps, whatever
the size of the class.
"""

from __future__ import annotations

import builtins
import hashlib
import keyword
import re
from collections import Counter
from dataclasses import dataclass

import numpy as np

CODE_K = 25  # noise threshold: matches shorter than this many normalised characters are ignored
CODE_WINDOW = 6  # winnowing window: matches of CODE_K + CODE_WINDOW - 1 characters are always found
PASSAGE_CHARS = 1500  # the most of one side of a shared passage that is kept

# One match per token, the layout and comments before it skipped in the same match (possessively:
# nothing is given back, and the end of the text is a token, so no match fails). Strings are
# matched whole (an unterminated one to the end of its line, or of the text for a triple quote:
# each at most once, so the scan stays linear).
_STRING = (r"'''(?:\\.|[^\\])*?(?:'''|\Z)" "|" r'"""(?:\\.|[^\\])*?(?:"""|\Z)'
           "|" r"'(?:\\.|[^'\\\n])*(?:'|$)" "|" r'"(?:\\.|[^"\\\n])*(?:"|$)')
_TOKEN = re.compile("".join([
    r"(?:\s|\\\n|\#[^\n]*+)*+(?:",
    rf"(?P<string>[rRbBuUfF]{{0,2}}(?:{_STRING}))", r"|(?P<name>[^\W\d]\w*)",
    r"|(?P<number>\.?\d(?:[\w.]|[eE][+-])*)", r"|(?P<other>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^<>!=]=|\S)",
    r"|(?P<end>\Z))",  # after layout, a token always matches: no position is tried twice
]), re.MULTILINE | re.DOTALL)
_KEEP = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins)) | {"self", "cls"}


def _piece(string: str, name: str, number: str, other: str, previous: str) -> str:
    if name:
        if name in _KEEP and previous != ".":
            return name
        return "F" if previous == "def" else "O" if previous == "class" else "V"
    return '"S"' if string else number or other


def normalise(code: str) -> str:
    """Python source as the fingerprints see it: names become V (a defined function F, a class
    O), string literals S, comments and layout vanish; keywords, built-ins, numbers and operators
    stay."""
    out: list[str] = []
    previous = ""
    for string, name, number, other, _ in _TOKEN.findall(code):
        out.append(_piece(string, name, number, other, previous))
        previous = string or name or number or other
    return "".join(out)


def token_spans(code: str) -> np.ndarray:
    """For each token of `normalise(code)`: its start there, and its start and end in `code`
    (what quoting a passage needs; slower, so done only for the passages shown)."""
    spans: list[tuple[int, int, int]] = []
    at = 0
    previous = ""
    for m in _TOKEN.finditer(code):
        groups = m.group("string", "name", "number", "other")
        if m.lastgroup == "end":
            break
        kind = m.lastgroup
        spans.append((at, m.start(kind), m.end()))  # type: ignore[arg-type]
        at += len(_piece(*groups, previous))
        previous = m.group(kind)  # type: ignore[arg-type]
    return np.array(spans, dtype=np.int64).reshape(-1, 3)


def rolling_hashes(symbols: np.ndarray, n: int) -> np.ndarray:
    """A polynomial hash of every run of `n` consecutive symbols, the same in every process."""
    count = len(symbols) - n + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64)
    values = symbols.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(1)
    out = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(n):  # arithmetic modulo 2**64
            out = out * np.uint64(1099511628211) + values[j:j + count]
    return out.view(np.int64)


def winnow(hashes: np.ndarray, window: int) -> np.ndarray:
    """Robust winnowing: the position of the smallest hash of every window (the rightmost on a
    tie), each position once."""
    if len(hashes) <= window:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))] if len(hashes) else [], dtype=np.int64)
    windows = np.lib.stride_tricks.sliding_window_view(hashes, window)
    rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    return np.unique(np.arange(len(windows)) + rightmost)


@dataclass(frozen=True)
class CodePrint:
    code: str  # as the student wrote it (already capped)
    hashes: np.ndarray  # winnowed k-gram hashes of the normalised code, in order (int64)
    positions: np.ndarray  # where each hash starts in the normalised code
    coverage: int  # normalised characters covered by some winnowed k-gram
    unique: np.ndarray  # the distinct hashes, sorted

    @property
    def digest(self) -> bytes:
        return self.unique.tobytes()


def code_print(code: str, boilerplate: np.ndarray | None = None) -> CodePrint | None:
    """The fingerprint of `code` without the template's hashes; None when nothing is left."""
    normalised = normalise(code)
    if len(normalised) < CODE_K:
        return None
    every = rolling_hashes(np.frombuffer(normalised.encode("utf-32-le", "surrogatepass"), dtype=np.uint32), CODE_K)
    positions = winnow(every, CODE_WINDOW)
    hashes = every[positions]
    if boilerplate is not None and len(boilerplate):
        keep = ~np.isin(hashes, boilerplate)
        hashes, positions = hashes[keep], positions[keep]
    if not len(hashes):
        return None
    covered = np.zeros(len(normalised), dtype=bool)
    for shift in range(CODE_K):
        covered[positions + shift] = True
    return CodePrint(code, hashes, positions, int(covered.sum()), np.unique(hashes))


def template_hashes(template: str) -> np.ndarray | None:
    found = code_print(template) if template.strip() else None
    return found.unique if found is not None else None


def _slices(positions: np.ndarray) -> np.ndarray:
    """Runs of matched k-grams as [starts, ends] in the normalised code."""
    if not len(positions):
        return np.zeros((2, 0), dtype=np.int64)
    ordered = np.sort(positions)
    gaps = np.where(np.diff(ordered) > CODE_K - 1)[0]
    starts = np.concatenate([[ordered[0]], ordered[gaps + 1]])
    ends = np.concatenate([ordered[gaps] + CODE_K, [ordered[-1] + CODE_K]])
    return np.array([starts, ends])


def _quote(found: CodePrint, start: int, end: int) -> str:
    """The original text of the normalised characters [start, end): whole tokens."""
    spans = token_spans(found.code)
    first = int(np.searchsorted(spans[:, 0], start, side="right")) - 1
    last = int(np.searchsorted(spans[:, 0], end - 1, side="right")) - 1
    return found.code[int(spans[max(first, 0), 1]):int(spans[max(last, 0), 2])][:PASSAGE_CHARS]


@dataclass(frozen=True)
class Match:
    similarity: float
    overlap: int  # normalised characters of the first print inside the shared runs
    passage: tuple[str, str] = ("", "")


def compare_code(a: CodePrint, b: CodePrint, passage: bool = False) -> Match:
    """The share of each print covered by runs both hold (the larger share is the similarity);
    with `passage`, the longest such run as each of the two wrote it."""
    slices_a = _slices(a.positions[np.isin(a.hashes, b.unique)])
    slices_b = _slices(b.positions[np.isin(b.hashes, a.unique)])
    if not slices_a.shape[1] or not slices_b.shape[1]:
        return Match(0.0, 0)
    overlap_a = int(np.sum(slices_a[1] - slices_a[0]))
    overlap_b = int(np.sum(slices_b[1] - slices_b[0]))
    similarity = min(1.0, max(overlap_a / a.coverage, overlap_b / b.coverage))
    if not passage:
        return Match(similarity, overlap_a)
    ka = int(np.argmax(slices_a[1] - slices_a[0]))
    kb = int(np.argmax(slices_b[1] - slices_b[0]))
    return Match(similarity, overlap_a, (_quote(a, int(slices_a[0, ka]), int(slices_a[1, ka])),
                                         _quote(b, int(slices_b[0, kb]), int(slices_b[1, kb]))))


def shingles(tokens: list[str], n: int) -> np.ndarray:
    """The distinct word n-grams of `tokens`, hashed, sorted (the same in every process)."""
    if len(tokens) < n:
        return np.zeros(0, dtype=np.int64)
    ids: dict[str, int] = {}
    for word in tokens:
        if word not in ids:
            ids[word] = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
    return np.unique(rolling_hashes(np.array([ids[w] for w in tokens], dtype=np.uint64), n))


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) or not len(b):
        return 0.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (len(a) + len(b) - common)


def sketch(unique_sorted: np.ndarray, size: int) -> list[int]:
    """The `size` smallest hashes: any two prints sample the same part of the hash space."""
    return unique_sorted[:size].tolist()


def shared_run(words_a: list[str], words_b: list[str], n: int) -> tuple[int, int, int]:
    """The longest run of words that both texts hold in the same order, found in linear time
    through their shared n-grams: (start in a, start in b, length)."""
    first: dict[tuple[str, ...], int] = {}
    for j in range(len(words_b) - n + 1):
        first.setdefault(tuple(words_b[j:j + n]), j)
    best = (0, 0, 0)
    i = 0
    while i <= len(words_a) - n:
        j = first.get(tuple(words_a[i:i + n]))
        if j is None:
            i += 1
            continue
        length = n
        while i + length < len(words_a) and j + length < len(words_b) and words_a[i + length] == words_b[j + length]:
            length += 1
        if length > best[2]:
            best = (i, j, length)
        i += length - n + 1  # the run's other n-grams start inside it: nothing longer begins there
    return best


class Index:
    """Hash → the items holding it, each list capped at `per_key`; a full list marks an idiom.
    Most hashes are held by one item, which is kept as a bare int (a list costs four times more)."""

    def __init__(self, per_key: int) -> None:
        self.per_key = per_key
        self.postings: dict[int, int | list[int]] = {}

    def add(self, keys: list[int], item: int) -> None:
        for key in keys:
            held = self.postings.get(key)
            if held is None:
                self.postings[key] = item
            elif isinstance(held, int):
                self.postings[key] = [held, item]
            elif len(held) < self.per_key:
                held.append(item)

    def candidates(self, keys: list[int], limit: int, min_shared: int) -> list[int]:
        """The items sharing the most keys with `keys` (at least `min_shared`), at most `limit`."""
        counts: Counter[int] = Counter()
        for key in keys:
            held = self.postings.get(key)
            if held is None:
                continue
            if isinstance(held, int):
                counts[held] += 1
            elif len(held) < self.per_key:
                counts.update(held)
        return [item for item, count in counts.most_common(limit) if count >= min_shared]


@dataclass
class Link:
    similarity: float
    pair: tuple[str, str]
    passage: tuple[str, str]


class Groups:
    """Union-find over students; each group remembers its closest pair and their passage."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}
        self.best: dict[str, Link] = {}
        self.tally: dict[str, int] = {}  # root → members whose prints are indexed

    def indexed(self, student: str) -> int:
        return self.tally.get(self.find(student), 0)

    def count_indexed(self, student: str) -> None:
        root = self.find(student)
        self.tally[root] = self.tally.get(root, 0) + 1

    def find(self, student: str) -> str:
        root = self.parent.setdefault(student, student)
        while root != self.parent[root]:
            root = self.parent[root]
        while student != root:  # path compression
            self.parent[student], student = root, self.parent[student]
        return root

    def closest(self, student: str) -> float:
        link = self.best.get(self.find(student))
        return link.similarity if link else 0.0

    def join(self, a: str, b: str, link: Link) -> None:
        ra, rb = self.find(a), self.find(b)
        links = [x for x in (self.best.get(ra), self.best.get(rb), link) if x is not None]
        strongest = max(links, key=lambda x: x.similarity)
        if ra != rb:
            self.best.pop(rb, None)
            self.tally[ra] = self.tally.get(ra, 0) + self.tally.pop(rb, 0)
            self.parent[rb] = ra
        self.best[ra] = strongest

    def members(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for student in self.parent:
            found.setdefault(self.find(student), []).append(student)
        return {root: sorted(group) for root, group in found.items() if len(group) > 1}
