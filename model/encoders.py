"""Input encoders: what turns text or numbers into the (T, D) arrays a Network reads.

    OneHotEncoder   x_t = e_{index(symbol_t)}, one column per vocabulary entry (D = V)
    NumericEncoder  x_t = the given vector itself (D = size), checked for shape and finiteness

Both describe themselves as plain JSON-ready dicts (``to_dict`` / ``encoder_from_dict``), so a
model's encoder is saved beside its weights without pickle.

A one-hot encoder reads its input in one of three units, fixed when it is built:
``"characters"`` (a string is its characters, as in Karpathy's min-char-rnn), ``"tokens"``
(a string is its whitespace-separated words) or ``"words"`` (lower-cased, each run of letters
and digits a token and each punctuation mark another, so "France." reads as "france", ".").
``tokenize`` splits text the way the ``characters`` / ``tokens`` constructors built it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal, TypeAlias

import numpy as np

Unit: TypeAlias = Literal["characters", "tokens", "words"]
UNITS: tuple[Unit, ...] = ("characters", "tokens", "words")
WORD_OR_MARK = re.compile(r"\w+|[^\w\s]")  # "words": a run of letters/digits, or one mark


class OneHotEncoder:
    """One-hot vectors over a fixed vocabulary of characters or tokens.

    vocabulary: the symbols, in column order; no duplicates, none empty.
    unknown: a vocabulary entry that stands in for every symbol outside the vocabulary;
        None (the default) makes an unknown symbol an error.
    unit: how ``encode`` and ``tokenize`` split a string; None infers ``"characters"`` when every
        entry is one character, ``"tokens"`` otherwise.
    """

    def __init__(
        self,
        vocabulary: Sequence[str],
        unknown: str | None = None,
        *,
        unit: Unit | None = None,
    ) -> None:
        symbols = tuple(vocabulary)
        if not symbols:
            raise ValueError("the vocabulary is empty; a one-hot encoder needs at least one symbol")
        for position, symbol in enumerate(symbols):
            if not isinstance(symbol, str):
                raise ValueError(
                    f"vocabulary entry {position} is {symbol!r} ({type(symbol).__name__}); "
                    "expected a string"
                )
            if not symbol:
                raise ValueError(f"vocabulary entry {position} is the empty string")
        index: dict[str, int] = {}
        for position, symbol in enumerate(symbols):
            if symbol in index:
                raise ValueError(
                    f"vocabulary entry {symbol!r} appears twice, at {index[symbol]} and {position}"
                )
            index[symbol] = position
        if unit is None:
            unit = "characters" if all(len(symbol) == 1 for symbol in symbols) else "tokens"
        if unit not in UNITS:
            raise ValueError(f"unit must be one of {', '.join(UNITS)}; got {unit!r}")
        if unit == "characters":
            long = [symbol for symbol in symbols if len(symbol) != 1]
            if long:
                raise ValueError(f"a character vocabulary holds single characters; got {long[0]!r}")
        if unknown is not None and unknown not in index:
            raise ValueError(f"the unknown symbol {unknown!r} is not in the vocabulary")
        self._vocabulary = symbols
        self._index = index
        self._unknown = unknown
        self._unit: Unit = unit

    @classmethod
    def characters(cls, text: str, unknown: str | None = None) -> OneHotEncoder:
        """The sorted distinct characters of ``text`` (plus ``unknown``, if given)."""
        found = set(text) if unknown is None else {*text, unknown}
        if not found:
            raise ValueError("the text is empty; there are no characters to build a vocabulary")
        return cls(sorted(found), unknown, unit="characters")

    @classmethod
    def tokens(cls, text: str, unknown: str | None = None, unit: Unit = "tokens") -> OneHotEncoder:
        """The sorted distinct tokens of ``text`` in ``unit`` "tokens" or "words" (+ unknown)."""
        split = WORD_OR_MARK.findall(text.lower()) if unit == "words" else text.split()
        found = set(split) if unknown is None else {*split, unknown}
        if not found:
            raise ValueError("the text has no words; there are no tokens to build a vocabulary")
        return cls(sorted(found), unknown, unit=unit)

    def __repr__(self) -> str:
        return (
            f"OneHotEncoder({self.size} {self._unit}, unknown={self._unknown!r}, "
            f"vocabulary={self._vocabulary[:8]!r}{'…' if self.size > 8 else ''})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OneHotEncoder):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __hash__(self) -> int:
        return hash((self._vocabulary, self._unknown, self._unit))

    @property
    def size(self) -> int:
        """V: the vocabulary size, which is the width of every encoded vector."""
        return len(self._vocabulary)

    @property
    def vocabulary(self) -> tuple[str, ...]:
        return self._vocabulary

    @property
    def unknown(self) -> str | None:
        return self._unknown

    @property
    def unit(self) -> Unit:
        return self._unit

    def tokenize(self, text: str) -> list[str]:
        """Split text the way this encoder's vocabulary was built: characters or words."""
        if not isinstance(text, str):
            raise ValueError(f"tokenize takes a string, got {type(text).__name__}")
        if self._unit == "characters":
            return list(text)
        if self._unit == "words":  # as people type: "I grew up in France." -> i grew … france .
            return WORD_OR_MARK.findall(text.lower())
        return text.split()

    def index(self, symbol: str) -> int:
        """The column of ``symbol`` (of ``unknown`` for a symbol outside the vocabulary)."""
        found = self._index.get(symbol) if isinstance(symbol, str) else None
        if found is not None:
            return found
        if self._unknown is not None and isinstance(symbol, str):
            return self._index[self._unknown]
        raise ValueError(f"{symbol!r} is not in the vocabulary of {self.size} {self._unit}")

    def encode(
        self, symbols: str | Sequence[str], dtype: np.dtype | type = np.float32
    ) -> np.ndarray:
        """(T, V) one-hot rows for T symbols: a string (split by ``tokenize``) or a sequence.

        A symbol outside the vocabulary becomes ``unknown``'s row, or, without ``unknown``, a
        ValueError naming the symbol and its position.
        """
        dtype = _float_dtype(dtype)
        if isinstance(symbols, str):
            sequence = self.tokenize(symbols)
        else:
            try:
                sequence = list(symbols)
            except TypeError:
                raise ValueError(
                    f"encode takes a string or a sequence of symbols, got {type(symbols).__name__}"
                ) from None
        columns = np.empty(len(sequence), np.intp)  # (T,) the hot column of every step
        for position, symbol in enumerate(sequence):
            if not isinstance(symbol, str):
                raise ValueError(
                    f"symbol at position {position} is {symbol!r} ({type(symbol).__name__}); "
                    "expected a string"
                )
            found = self._index.get(symbol)
            if found is None:
                if self._unknown is None:
                    raise ValueError(
                        f"unknown symbol {symbol!r} at position {position}: not in the "
                        f"vocabulary of {self.size} {self._unit}, and no unknown entry is set"
                    )
                found = self._index[self._unknown]
            columns[position] = found
        x = np.zeros((len(sequence), self.size), dtype)  # (T, V)
        x[np.arange(len(sequence)), columns] = 1
        return x

    def decode(self, indices: Sequence[int] | np.ndarray) -> list[str]:
        """Symbols for column indices (T,), or for the hottest column of each row of (T, V)."""
        array = np.asarray(indices)
        if array.ndim == 2:
            if array.shape[1] != self.size:
                raise ValueError(
                    f"rows to decode must have {self.size} columns, got shape {array.shape}"
                )
            if array.dtype.kind not in "biuf":
                raise ValueError(f"rows to decode must be numeric, got dtype {array.dtype}")
            array = np.argmax(array, axis=1) if array.shape[0] else np.empty(0, np.intp)
        elif array.ndim != 1:
            raise ValueError(
                f"decode takes indices (T,) or rows (T, {self.size}), got shape {array.shape}"
            )
        if array.size == 0:
            return []
        if array.dtype.kind not in "iu":
            raise ValueError(f"indices must be integers, got dtype {array.dtype}")
        outside = (array < 0) | (array >= self.size)
        if np.any(outside):
            position = int(np.argmax(outside))
            raise ValueError(
                f"index {int(array[position])} at position {position} is outside the "
                f"vocabulary [0, {self.size})"
            )
        return [self._vocabulary[k] for k in array.tolist()]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": "one_hot",
            "vocabulary": list(self._vocabulary),
            "unknown": self._unknown,
            "unit": self._unit,
        }


class NumericEncoder:
    """Plain numeric input vectors of a fixed size, checked rather than transformed."""

    def __init__(self, size: int) -> None:
        if isinstance(size, bool) or not isinstance(size, int | np.integer):
            raise ValueError(f"size must be an integer, got {size!r}")
        if size < 1:
            raise ValueError(f"size must be at least 1, got {size}")
        self._size = int(size)

    def __repr__(self) -> str:
        return f"NumericEncoder({self._size})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, NumericEncoder):
            return NotImplemented
        return self._size == other._size

    def __hash__(self) -> int:
        return hash(("numeric", self._size))

    @property
    def size(self) -> int:
        """D: the width of every encoded vector."""
        return self._size

    def encode(self, values: Any, dtype: np.dtype | type = np.float32) -> np.ndarray:
        """(T, size) from values shaped (T, size), or (T,) when size is 1."""
        dtype = _float_dtype(dtype)
        try:
            array = np.asarray(values)
        except ValueError as error:  # ragged nested lists
            raise ValueError(f"values must form a (T, {self._size}) array: {error}") from None
        if array.dtype.kind not in "biuf":
            raise ValueError(f"values must be numbers, got dtype {array.dtype}")
        if array.ndim == 1 and self._size == 1:
            array = array[:, None]  # (T,) -> (T, 1)
        if array.ndim != 2 or array.shape[1] != self._size:
            expected = f"(T, {self._size})" + (" or (T,)" if self._size == 1 else "")
            raise ValueError(f"values must have shape {expected}, got {array.shape}")
        with np.errstate(over="ignore"):  # an overflow becomes inf, reported just below
            x = array.astype(dtype)  # (T, size), a copy: the caller's array is never aliased
        bad = ~np.isfinite(x)
        if np.any(bad):
            t, j = (int(k) for k in np.argwhere(bad)[0])
            original = float(array[t, j])
            reason = "is not finite" if not np.isfinite(original) else f"overflows {dtype}"
            raise ValueError(f"value {original!r} at step {t}, feature {j} {reason}")
        return x

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "numeric", "size": self._size}


Encoder: TypeAlias = OneHotEncoder | NumericEncoder


def encoder_from_dict(description: Mapping[str, Any]) -> Encoder:
    """The encoder a ``to_dict`` result describes (e.g. read back from JSON)."""
    if not isinstance(description, Mapping):
        raise ValueError(f"an encoder description is a dict, got {type(description).__name__}")
    kind = description.get("kind")
    if kind == "one_hot":
        _expect_keys(description, required={"kind", "vocabulary"}, optional={"unknown", "unit"})
        vocabulary = description["vocabulary"]
        if isinstance(vocabulary, str) or not isinstance(vocabulary, Sequence):
            raise ValueError(f"'vocabulary' must be a list of strings, got {vocabulary!r}")
        unknown, unit = description.get("unknown"), description.get("unit")
        return OneHotEncoder(vocabulary, unknown, unit=unit)
    if kind == "numeric":
        _expect_keys(description, required={"kind", "size"})
        return NumericEncoder(description["size"])
    raise ValueError(f"unknown encoder kind {kind!r}; expected 'one_hot' or 'numeric'")


def _expect_keys(
    description: Mapping[str, Any], required: set[str], optional: set[str] | None = None
) -> None:
    optional = optional or set()
    missing = required - description.keys()
    extra = description.keys() - required - optional
    if missing or extra:
        allowed = ", ".join([*sorted(required), *(f"{key} (optional)" for key in sorted(optional))])
        raise ValueError(
            f"a {description['kind']} encoder is described by {allowed}; "
            f"missing {sorted(missing)}, unexpected {sorted(extra)}"
        )


def _float_dtype(dtype: np.dtype | type) -> np.dtype:
    resolved = np.dtype(dtype)
    if resolved.kind != "f":
        raise ValueError(f"encoded arrays are floating point; got dtype {resolved}")
    return resolved
