"""Encoders: round trips, unknown symbols, the errors a user sees, and JSON descriptions."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pytest

from model.encoders import NumericEncoder, OneHotEncoder, encoder_from_dict
from model.network import Network

# -- one-hot: building the vocabulary -------------------------------------------------------


def test_characters_are_sorted_and_unique() -> None:
    encoder = OneHotEncoder.characters("hello")
    assert encoder.vocabulary == ("e", "h", "l", "o")
    assert encoder.size == 4
    assert encoder.unit == "characters"
    assert encoder.unknown is None


def test_tokens_are_sorted_unique_whitespace_words() -> None:
    encoder = OneHotEncoder.tokens("the cat  sat\non the\tmat")
    assert encoder.vocabulary == ("cat", "mat", "on", "sat", "the")
    assert encoder.unit == "tokens"


def test_constructors_add_the_unknown_symbol_to_the_vocabulary() -> None:
    assert OneHotEncoder.characters("ba", unknown="?").vocabulary == ("?", "a", "b")
    assert OneHotEncoder.tokens("b a", unknown="<unk>").vocabulary == ("<unk>", "a", "b")


def test_the_given_order_is_the_column_order() -> None:
    encoder = OneHotEncoder(["z", "a", "m"])
    assert [encoder.index(s) for s in "zam"] == [0, 1, 2]


def test_unit_is_inferred_from_the_entries() -> None:
    assert OneHotEncoder(["a", "b"]).unit == "characters"
    assert OneHotEncoder(["a", "be"]).unit == "tokens"
    assert OneHotEncoder(["a", "I"], unit="tokens").unit == "tokens"  # one-letter words


@pytest.mark.parametrize(
    ("vocabulary", "unknown", "message"),
    [
        ([], None, "vocabulary is empty"),
        (["a", "b", "a"], None, r"'a' appears twice, at 0 and 2"),
        (["a", ""], None, "entry 1 is the empty string"),
        (["a", 3], None, r"entry 1 is 3 \(int\); expected a string"),
        (["a", "b"], "?", r"unknown symbol '\?' is not in the vocabulary"),
    ],
)
def test_bad_vocabularies_are_refused(vocabulary: list, unknown: str | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OneHotEncoder(vocabulary, unknown)


def test_a_character_vocabulary_holds_single_characters() -> None:
    with pytest.raises(ValueError, match="single characters; got 'ab'"):
        OneHotEncoder(["a", "ab"], unit="characters")
    with pytest.raises(ValueError, match="single characters; got '<unk>'"):
        OneHotEncoder.characters("abc", unknown="<unk>")


def test_unknown_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="unit must be one of characters, tokens"):
        OneHotEncoder(["a"], unit="bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "  \n\t "])
def test_empty_text_gives_no_vocabulary(text: str) -> None:
    with pytest.raises(ValueError, match="no tokens"):
        OneHotEncoder.tokens(text)
    if not text:
        with pytest.raises(ValueError, match="text is empty"):
            OneHotEncoder.characters(text)


# -- one-hot: encode and decode -------------------------------------------------------------


def test_encode_characters_one_hot_rows() -> None:
    encoder = OneHotEncoder.characters("hello")  # e h l o
    x = encoder.encode("hell")
    expected = [[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 1, 0]]
    np.testing.assert_array_equal(x, expected)
    assert x.dtype == np.float32
    assert encoder.encode("hell", dtype=np.float64).dtype == np.float64


def test_every_row_has_exactly_one_hot_column() -> None:
    text = "the quick brown fox jumps over the lazy dog"
    x = OneHotEncoder.characters(text).encode(text)
    assert x.shape == (len(text), len(set(text)))
    np.testing.assert_array_equal(x.sum(axis=1), 1)
    assert set(np.unique(x)) == {0.0, 1.0}


@pytest.mark.parametrize(
    ("build", "text"),
    [
        (OneHotEncoder.characters, "hello, world"),
        (OneHotEncoder.tokens, "to be or not to be"),
    ],
)
def test_decode_inverts_encode(build: Callable[[str], OneHotEncoder], text: str) -> None:
    encoder = build(text)
    symbols = encoder.tokenize(text)
    x = encoder.encode(text)
    assert encoder.decode(x) == symbols  # rows: the hot column of each
    assert encoder.decode(np.argmax(x, axis=1)) == symbols  # indices
    assert encoder.decode([encoder.index(s) for s in symbols]) == symbols  # a plain list


def test_a_string_is_split_like_the_vocabulary_was_built() -> None:
    words = OneHotEncoder.tokens("to be or not")
    np.testing.assert_array_equal(words.encode("be or"), words.encode(["be", "or"]))
    assert words.tokenize(" to  be ") == ["to", "be"]
    characters = OneHotEncoder.characters("ab ")
    assert characters.tokenize("a b") == ["a", " ", "b"]
    np.testing.assert_array_equal(characters.encode("a b"), characters.encode(["a", " ", "b"]))


def test_decode_of_probabilities_takes_the_most_likely_symbol() -> None:
    encoder = OneHotEncoder(["a", "b", "c"])
    probabilities = np.array([[0.1, 0.7, 0.2], [0.5, 0.2, 0.3]])
    assert encoder.decode(probabilities) == ["b", "a"]


def test_unknown_symbol_is_an_error_naming_it_and_its_position() -> None:
    encoder = OneHotEncoder.characters("abc")
    with pytest.raises(ValueError, match=r"unknown symbol 'z' at position 3"):
        encoder.encode("abcz")
    with pytest.raises(ValueError, match=r"'z' is not in the vocabulary"):
        encoder.index("z")
    words = OneHotEncoder.tokens("a cat")
    with pytest.raises(ValueError, match=r"unknown symbol 'dog' at position 1"):
        words.encode("a dog")


def test_unknown_symbols_map_to_the_unknown_entry() -> None:
    encoder = OneHotEncoder.characters("abc", unknown="?")  # ? a b c
    x = encoder.encode("axb")
    assert encoder.decode(x) == ["a", "?", "b"]
    assert encoder.index("x") == encoder.index("?") == 0
    words = OneHotEncoder.tokens("a cat", unknown="<unk>")
    assert words.decode(words.encode("a dog sat")) == ["a", "<unk>", "<unk>"]


def test_encoding_nothing_gives_zero_rows() -> None:
    encoder = OneHotEncoder.characters("ab")
    assert encoder.encode("").shape == (0, 2)
    assert encoder.encode([]).shape == (0, 2)
    assert encoder.decode([]) == []


@pytest.mark.parametrize(
    ("symbols", "message"),
    [
        (["a", 1], r"position 1 is 1 \(int\); expected a string"),
        (5, "a string or a sequence of symbols, got int"),
    ],
)
def test_encode_refuses_what_is_not_symbols(symbols: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OneHotEncoder.characters("ab").encode(symbols)  # type: ignore[arg-type]


def test_encode_refuses_non_float_dtypes() -> None:
    with pytest.raises(ValueError, match="floating point; got dtype int64"):
        OneHotEncoder.characters("ab").encode("ab", dtype=np.int64)


@pytest.mark.parametrize(
    ("indices", "message"),
    [
        ([0, 3], r"index 3 at position 1 is outside the vocabulary \[0, 3\)"),
        ([-1], r"index -1 at position 0 is outside"),
        ([0.0, 1.0], "indices must be integers, got dtype float64"),
        (np.zeros((2, 4)), r"must have 3 columns, got shape \(2, 4\)"),
        (np.zeros((1, 1, 3)), r"indices \(T,\) or rows \(T, 3\), got shape \(1, 1, 3\)"),
    ],
)
def test_decode_refuses_bad_indices(indices: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        OneHotEncoder(["a", "b", "c"]).decode(indices)  # type: ignore[arg-type]


def test_one_hot_feeds_a_network() -> None:
    encoder = OneHotEncoder.characters("hello")
    net = Network.random("lstm", encoder.size, 3, seed=1)
    trace = net.run(encoder.encode("hello"))
    assert trace.h.shape == (5, 3)


# -- numeric --------------------------------------------------------------------------------


def test_numeric_passes_vectors_through() -> None:
    encoder = NumericEncoder(2)
    values = [[0.5, -1.0], [2.0, 3.0], [0.0, 1.0]]
    x = encoder.encode(values)
    np.testing.assert_array_equal(x, values)
    assert x.dtype == np.float32
    assert encoder.encode(values, dtype=np.float64).dtype == np.float64


def test_numeric_size_one_takes_a_flat_sequence() -> None:
    encoder = NumericEncoder(1)
    np.testing.assert_array_equal(encoder.encode([1, 2, 3]), [[1], [2], [3]])
    np.testing.assert_array_equal(encoder.encode([[1], [2]]), [[1], [2]])


def test_numeric_copies_the_callers_array() -> None:
    values = np.ones((2, 2), np.float32)
    x = NumericEncoder(2).encode(values)
    x[0, 0] = 5
    assert values[0, 0] == 1


@pytest.mark.parametrize(
    ("size", "values", "message"),
    [
        (2, [1.0, 2.0], r"shape \(T, 2\), got \(2,\)"),
        (2, [[1.0, 2.0, 3.0]], r"shape \(T, 2\), got \(1, 3\)"),
        (1, [[[1.0]]], r"shape \(T, 1\) or \(T,\), got \(1, 1, 1\)"),
        (1, 3.0, r"shape \(T, 1\) or \(T,\), got \(\)"),
        (2, [[1.0, float("nan")]], "value nan at step 0, feature 1 is not finite"),
        (1, [0.0, 1.0, -np.inf], "value -inf at step 2, feature 0 is not finite"),
        (1, [1e300], "value 1e\\+300 at step 0, feature 0 overflows float32"),
        (1, ["a", "b"], "values must be numbers, got dtype <U1"),
        (1, [1 + 2j], "values must be numbers, got dtype complex128"),
        (2, [[1.0, 2.0], [3.0]], r"must form a \(T, 2\) array"),
    ],
)
def test_numeric_refuses_bad_values(size: int, values: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NumericEncoder(size).encode(values)


@pytest.mark.parametrize(
    ("size", "message"),
    [(0, "at least 1, got 0"), (-2, "at least 1"), (2.0, "integer, got 2.0"), (True, "integer")],
)
def test_numeric_size_must_be_a_positive_integer(size: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NumericEncoder(size)  # type: ignore[arg-type]


# -- descriptions ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encoder",
    [
        OneHotEncoder.characters("hello"),
        OneHotEncoder.characters("hello", unknown="?"),
        OneHotEncoder.tokens("to be or not to be", unknown="<unk>"),
        OneHotEncoder(["a", "I"], unit="tokens"),
        NumericEncoder(1),
        NumericEncoder(7),
    ],
    ids=repr,
)
def test_description_round_trips_through_json(encoder: OneHotEncoder | NumericEncoder) -> None:
    description = json.loads(json.dumps(encoder.to_dict()))
    rebuilt = encoder_from_dict(description)
    assert rebuilt == encoder
    assert hash(rebuilt) == hash(encoder)
    assert type(rebuilt) is type(encoder)
    assert rebuilt.to_dict() == encoder.to_dict()


def test_rebuilt_one_hot_encodes_the_same() -> None:
    encoder = OneHotEncoder.tokens("a b c", unknown="a")
    rebuilt = encoder_from_dict(json.loads(json.dumps(encoder.to_dict())))
    assert isinstance(rebuilt, OneHotEncoder)
    np.testing.assert_array_equal(rebuilt.encode("c x b"), encoder.encode("c x b"))


def test_description_is_plain_data() -> None:
    assert OneHotEncoder(["b", "a"], unknown="a").to_dict() == {
        "kind": "one_hot",
        "vocabulary": ["b", "a"],
        "unknown": "a",
        "unit": "characters",
    }
    assert NumericEncoder(3).to_dict() == {"kind": "numeric", "size": 3}


def test_a_hand_written_description_may_leave_out_the_optional_keys() -> None:
    encoder = encoder_from_dict({"kind": "one_hot", "vocabulary": ["a", "b"]})
    assert encoder == OneHotEncoder(["a", "b"])


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ({"kind": "bag_of_words"}, "unknown encoder kind 'bag_of_words'"),
        ({"size": 3}, "unknown encoder kind None"),
        ({"kind": "numeric"}, r"missing \['size'\]"),
        ({"kind": "numeric", "size": 2, "scale": 1}, r"unexpected \['scale'\]"),
        ({"kind": "one_hot", "vocabulary": "abc"}, "'vocabulary' must be a list of strings"),
        ({"kind": "one_hot", "vocabulary": ["a", "a"]}, "appears twice"),
        ({"kind": "numeric", "size": "3"}, "size must be an integer"),
        (["numeric", 3], "an encoder description is a dict, got list"),
    ],
)
def test_bad_descriptions_are_refused(description: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        encoder_from_dict(description)  # type: ignore[arg-type]


def test_encoders_of_different_kinds_are_not_equal() -> None:
    assert OneHotEncoder(["a"]) != NumericEncoder(1)
    assert OneHotEncoder(["a", "b"]) != OneHotEncoder(["b", "a"])
    assert OneHotEncoder(["a", "b"]) != OneHotEncoder(["a", "b"], unit="tokens")


def test_words_unit_lowercases_and_splits_punctuation() -> None:
    encoder = OneHotEncoder.tokens("i grew up in france .", unknown="<unk>", unit="words")
    assert encoder.unit == "words"
    assert encoder.tokenize("I grew up in France.") == ["i", "grew", "up", "in", "france", "."]
    assert encoder.decode(encoder.encode("France!").argmax(axis=1)) == ["france", "<unk>"]
    assert encoder_from_dict(encoder.to_dict()) == encoder
