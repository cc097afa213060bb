"""Knowledge that carries over between sites: dictionary words and names (with l33t
substitutions and reversed), keyboard walks, dates, repeats and sequences.

Vectorised over the batch: one leftmost-longest Aho-Corasick pass (ahocorasick_rs, in Rust)
over the whole batch's bytes, lowercased and with l33t symbols read as letters, reads each
password as words where it can; the rest are byte-table lookups and run lengths in numpy.
`knowledge_rows` is the same in plain Python for a password or two (pwc.features.paths).

Knowledge comes from the word and name lists that ship with the pinned `zxcvbn` package
(English Wikipedia, US TV and film, surnames, male and female names) and its keyboard
adjacency graphs. Never its `passwords` list: another leak's passwords are how the meter is
judged, and learning from them would hide what it cannot do.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
from collections.abc import Iterable

import ahocorasick_rs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.base import BaseEstimator, TransformerMixin
from zxcvbn.adjacency_graphs import ADJACENCY_GRAPHS
from zxcvbn.frequency_lists import FREQUENCY_LISTS

from pwc import numerics
from pwc.errors import ModelError
from pwc.features.paths import TwoPaths
from pwc.text import as_arrow, byte_buffers

WORD_LISTS = ("english_wikipedia", "us_tv_and_film", "surnames", "female_names", "male_names")
NAME_LISTS = ("surnames", "female_names", "male_names")
MIN_WORD = 3  # shorter words match inside almost anything
KEYBOARDS = ("qwerty", "dvorak", "keypad")
# zxcvbn's l33t table, one letter per symbol (1 and | read as i, 7 as t)
L33T = {"4": "a", "@": "a", "8": "b", "(": "c", "{": "c", "[": "c", "<": "c", "3": "e",
        "6": "g", "9": "g", "1": "i", "!": "i", "|": "i", "0": "o", "$": "s", "5": "s",
        "+": "t", "7": "t", "%": "x", "2": "z"}  # fmt: skip
DATES = (
    r"(?:(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])|(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2]))"
    r"(?:19[4-9][0-9]|20[0-3][0-9]|[0-9]{2})"
)
NO_WORD = 5.0  # log10 rank given when nothing matches: past every list's last word

FEATURE_NAMES = (
    "word_longest",
    "word_longest_log_rank",
    "word_best_log_rank",
    "word_share",
    "word_segments",
    "name_longest",
    "l33t_word_longest",
    "reversed_word_longest",
    *(f"walk_{k}" for k in KEYBOARDS),
    "dates",
    "repeat_longest",
    "sequence_longest",
)


@functools.cache
def _dictionary() -> tuple:
    """The automaton over every word (and reversed word) and, per pattern: log10 of its best
    rank in any list, whether it is a name, whether reversed. Built once per process."""
    ranks: dict[str, tuple[int, bool]] = {}
    for name in WORD_LISTS:
        for rank, word in enumerate(FREQUENCY_LISTS[name], start=1):
            if len(word) >= MIN_WORD and word.isascii() and word.isalpha():
                best, is_name = ranks.get(word, (rank, False))
                ranks[word] = (min(best, rank), is_name or name in NAME_LISTS)
    words = sorted(ranks)
    patterns, log_rank, is_name, reversed_ = [], [], [], []
    for flip in (False, True):
        for word in words:
            if flip and word[::-1] in ranks:
                continue  # a palindrome or another word: found forwards already
            patterns.append((word[::-1] if flip else word).encode())
            log_rank.append(ranks[word][0])
            is_name.append(ranks[word][1])
            reversed_.append(flip)
    automaton = ahocorasick_rs.BytesAhoCorasick(
        patterns, matchkind=ahocorasick_rs.MatchKind.LeftmostLongest
    )
    digest = hashlib.sha256(b"\n".join(patterns)).hexdigest()
    return (
        automaton,
        numerics.log10(np.asarray(log_rank, dtype=np.float64)),
        np.asarray([len(p) for p in patterns], dtype=np.int64),
        np.asarray(is_name),
        np.asarray(reversed_),
        digest,
    )


def _byte_tables() -> tuple[np.ndarray, np.ndarray]:
    """Byte -> lowercase letter with l33t read as letters; byte -> whether l33t was read."""
    table = np.arange(256, dtype=np.uint8)
    table[ord("A") : ord("Z") + 1] += 32
    substituted = np.zeros(256, dtype=bool)
    for symbol, letter in L33T.items():
        table[ord(symbol)] = ord(letter)
        substituted[ord(symbol)] = True
    return table, substituted


_FOLD, _SUBSTITUTED = _byte_tables()


def _adjacency(graph: dict) -> np.ndarray:
    """256 x 256: whether the second byte's key touches the first's (either shift state)."""
    adj = np.zeros((256, 256), dtype=bool)
    for key, neighbours in graph.items():
        for neighbour in neighbours:
            if neighbour is None:
                continue
            for a in key:
                for b in neighbour:
                    adj[ord(a), ord(b)] = True
    return adj


_ADJACENT = {name: _adjacency(ADJACENCY_GRAPHS[name]).ravel() for name in KEYBOARDS}


def _longest_run(flag: np.ndarray, row_of: np.ndarray, n: int) -> np.ndarray:
    """Longest run of consecutive True per row, in characters: flag[i] says bytes i and i + 1
    belong together (False across rows), so r flags in a row span r + 1 bytes; 0 for none."""
    edge = np.diff(flag.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    starts, ends = np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)
    out = np.zeros(n)
    if starts.size:
        # runs ascend by position, so by row: a row's longest is a reduceat over its runs
        rows = row_of[starts]
        group = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))
        out[rows[group]] = np.maximum.reduceat(ends - starts, group) + 1
    return out


def knowledge_features(passwords: Iterable[str] | pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Knowledge features, one row per password, columns in FEATURE_NAMES order."""
    arr = as_arrow(passwords)
    n = len(arr)
    offsets, data = byte_buffers(arr)
    offsets = offsets.astype(np.int64)
    lengths = np.diff(offsets)
    row_of = np.repeat(np.arange(n), lengths)
    cols = _word_features(data, offsets, lengths, row_of)
    # byte pairs within a row: pair[i] is bytes i and i + 1 (its index as one 16-bit number)
    same_row = row_of[:-1] == row_of[1:]
    pair = (data[:-1].astype(np.uint16) << 8) | data[1:]
    for name, adjacent in _ADJACENT.items():
        cols[f"walk_{name}"] = _longest_run(adjacent[pair] & same_row, row_of, n)
    step = data[1:].astype(np.int16) - data[:-1]
    cols["repeat_longest"] = _longest_run((step == 0) & same_row, row_of, n)
    up = _longest_run((step == 1) & same_row, row_of, n)
    down = _longest_run((step == -1) & same_row, row_of, n)
    cols["sequence_longest"] = np.maximum(up, down)
    cols["dates"] = pc.count_substring_regex(arr, DATES).to_numpy()
    return np.column_stack([np.asarray(cols[c], dtype=np.float32) for c in FEATURE_NAMES])


def _word_features(data, offsets, lengths, row_of) -> dict[str, np.ndarray]:
    """Words found by one leftmost-longest pass over the whole batch's folded bytes: the
    password read as words where it can be (the longest word at the leftmost place, then on)."""
    n = lengths.size
    automaton, log_rank, size, is_name, reversed_, _ = _dictionary()
    # one haystack for the batch, a newline after each password: a word cannot run from one
    # password into the next (leftmost-longest would otherwise take the next one's bytes)
    haystack = np.full(data.size + n, ord("\n"), dtype=np.uint8)
    haystack[np.arange(data.size) + row_of] = _FOLD[data]
    found = automaton.find_matches_as_indexes(haystack.tobytes())
    m = np.fromiter(itertools.chain.from_iterable(found), np.int64, 3 * len(found)).reshape(-1, 3)
    pid = m[:, 0]
    rows = np.searchsorted(offsets[1:] + np.arange(1, n + 1), m[:, 1], side="right")
    first, end = m[:, 1] - rows, m[:, 2] - rows  # back to positions in `data`
    size = size[pid]
    substituted = np.concatenate(([0], np.cumsum(_SUBSTITUTED[data], dtype=np.int32)))
    l33t = substituted[end] - substituted[first] > 0
    # matches come in haystack order, so by row: per-row figures by reduceat
    group = np.flatnonzero(np.concatenate(([True], rows[1:] != rows[:-1])))[: rows.size]
    hit = rows[group]

    def per_row(values, ufunc=np.maximum, fill=0.0) -> np.ndarray:
        out = np.full(n, fill)
        if values.size:
            out[hit] = ufunc.reduceat(values, group)
        return out

    cols = {"word_longest": per_row(size)}
    # the longest word's rank (among equally long ones, the best): length ranks first
    longest_key = per_row(size * 16.0 - log_rank[pid], fill=0.0)
    cols["word_longest_log_rank"] = np.where(
        cols["word_longest"] > 0, cols["word_longest"] * 16.0 - longest_key, NO_WORD
    )
    cols["word_best_log_rank"] = per_row(log_rank[pid], np.minimum, NO_WORD)
    cols["word_share"] = per_row(size, np.add) / np.maximum(lengths, 1)
    cols["word_segments"] = per_row(np.ones(size.size), np.add)
    cols["name_longest"] = per_row(size * is_name[pid])
    cols["l33t_word_longest"] = per_row(size * l33t)
    cols["reversed_word_longest"] = per_row(size * reversed_[pid])
    return cols


@functools.cache
def _scalar_tables() -> tuple:
    """The vectorised path's tables as Python lists, for a password or two."""
    automaton, log_rank, size, is_name, reversed_, _ = _dictionary()
    walks = [(name, table.tolist()) for name, table in _ADJACENT.items()]
    return (
        automaton,
        log_rank.tolist(),
        size.tolist(),
        is_name.tolist(),
        reversed_.tolist(),
        _FOLD.tolist(),
        _SUBSTITUTED.tolist(),
        walks,
        re.compile(DATES),
    )


def _run(flags) -> float:
    """`_longest_run` of one password: the longest run of True pairs, in characters."""
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return float(best + 1) if best else 0.0


def knowledge_rows(passwords: list[str]) -> np.ndarray:
    """`knowledge_features` one password at a time in Python: for a password or two this
    beats numpy's per-call costs, with the same operations in the same order (tested equal)."""
    automaton, log_rank, sizes, is_name, reversed_, fold, subst, walks, dates = _scalar_tables()
    rows = []
    for password in passwords:
        raw = password.encode()
        found = automaton.find_matches_as_indexes(bytes(fold[b] for b in raw))
        words = [(sizes[pid], log_rank[pid], pid, a, b) for pid, a, b in found]
        col = dict.fromkeys(FEATURE_NAMES, 0.0)
        if words:
            longest = max(w[0] for w in words)
            col["word_longest"] = float(longest)
            key = max(size * 16.0 - rank for size, rank, *_ in words)
            col["word_longest_log_rank"] = longest * 16.0 - key
            col["word_best_log_rank"] = min(rank for _, rank, *_ in words)
            col["name_longest"] = float(max(w[0] * is_name[w[2]] for w in words))
            l33t = [w[0] for w in words if any(subst[x] for x in raw[w[3] : w[4]])]
            col["l33t_word_longest"] = float(max(l33t, default=0))
            col["reversed_word_longest"] = float(max(w[0] * reversed_[w[2]] for w in words))
        else:
            col["word_longest_log_rank"] = col["word_best_log_rank"] = NO_WORD
        col["word_share"] = sum(w[0] for w in words) / max(len(raw), 1)
        col["word_segments"] = float(len(words))
        pairs = [(raw[i], raw[i + 1]) for i in range(len(raw) - 1)]
        for name, table in walks:
            col[f"walk_{name}"] = _run(table[(a << 8) | b] for a, b in pairs)
        col["repeat_longest"] = _run(a == b for a, b in pairs)
        up, down = _run(b - a == 1 for a, b in pairs), _run(a - b == 1 for a, b in pairs)
        col["sequence_longest"] = max(up, down)
        col["dates"] = float(len(dates.findall(password)))
        rows.append([col[name] for name in FEATURE_NAMES])
    return np.asarray(rows, dtype=np.float32).reshape(len(passwords), len(FEATURE_NAMES))


class KnowledgeFeatures(TwoPaths, TransformerMixin, BaseEstimator):
    """sklearn wrapper; remembers the word lists' digest so a model fitted with one version
    of the lists refuses to run with another (the lists are read from the zxcvbn package)."""

    def fit(self, X, y=None):  # noqa: N803 - sklearn's signature
        self.lists_sha256_ = _dictionary()[-1]
        self.n_features_out_ = len(FEATURE_NAMES)
        return self

    def transform(self, X):  # noqa: N803
        if _dictionary()[-1] != self.lists_sha256_:
            raise ModelError(
                "the zxcvbn package's word lists differ from the ones this model was trained"
                " with: install the pinned zxcvbn (requirements.txt)"
            )
        return super().transform(X)

    many = staticmethod(knowledge_features)
    few = staticmethod(knowledge_rows)

    def get_feature_names_out(self, input_features=None):
        return np.asarray(FEATURE_NAMES, dtype=object)
