"""france: colah's long-term dependency, "I grew up in France… I speak fluent French."

Source: colah, "Understanding LSTM Networks" (2015), section "The Problem of Long-Term
Dependencies": the language at the end of a text depends on a country named much earlier, with
a gap of unrelated sentences in between that a plain RNN struggles to bridge.

Sequence (word tokens, lower-case, punctuation as tokens of its own):

    i grew up in <country> . <k filler sentences, each ending in "."> i speak fluent

with k drawn uniformly from [min_fillers, max_fillers] and the k fillers drawn without
replacement from ``FILLERS`` (written for this task; none names a country or a language), so
the gap between the country and the answer varies from batch to batch.

Encoding: ``OneHotEncoder`` in unit "words" (lower-cased, punctuation split off, so the post's
sentence can be typed as written) over every word of the templates, the fillers,
the countries and the languages (so the page can type the whole sentence, answer included),
plus ``<unk>`` for any other word.
Target: at the last step (input "fluent", predicting the next word) the class of the
language of the country; classes are ``LANGUAGES``. Several countries may share a language.
Mask: that last step only; padding after shorter sequences is masked out.
Metric: accuracy (share of sequences whose arg-max class is the language); chance is
1 / len(LANGUAGES).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.encoders import OneHotEncoder
from model.tasks.base import Batch, TaskBase, integer_option, last_step_mask, one_hot, pad

COUNTRIES: dict[str, str] = {  # country -> the language spoken there
    "france": "french",
    "germany": "german",
    "spain": "spanish",
    "italy": "italian",
    "japan": "japanese",
    "brazil": "portuguese",
    "russia": "russian",
    "greece": "greek",
}
LANGUAGES: tuple[str, ...] = tuple(dict.fromkeys(COUNTRIES.values()))  # the classes, in order

OPENING = "i grew up in {country} ."
CLOSING = "i speak fluent"  # the answer follows; the last input token is "fluent"
UNKNOWN = "<unk>"

FILLERS: tuple[str, ...] = (
    "my mother was a teacher and my father built boats .",
    "we lived in a small house near the river .",
    "every summer we walked to the lake , swam until dark , and ate outside .",
    "i had two sisters and a very old dog .",
    "at school i liked mathematics more than drawing .",
    "the winters were long and the summers were short .",
    "my grandmother kept chickens in the garden .",
    "on sundays the whole family ate lunch together .",
    "later i moved to the city to study engineering .",
    "i still remember the smell of fresh bread in the morning .",
    "our neighbours played music late into the night .",
    "after university i worked for a few years in a bank .",
    "now i live by the sea with my partner and two cats .",
    "i travel a lot for my job .",
    "my favourite food is still the soup my father made .",
    "as a child i wanted to become a pilot .",
    "the train to school took almost an hour .",
    "i played football every afternoon with my cousins .",
    "we had no television , so we read a lot of books .",
    "my first job was in a shop that sold bicycles .",
    "the town had one cinema , two bakeries and a tiny library .",
    "my uncle taught me how to cook .",
    "these days i mostly work from home .",
    "in the evenings i like to run along the river .",
)


class France(TaskBase):
    """Name the language of the country named at the start, after a gap of filler sentences.

    min_fillers, max_fillers: how many filler sentences stand between the country and the
        answer, drawn uniformly from this range for each sequence.
    """

    name = "france"

    def __init__(self, *, min_fillers: int = 0, max_fillers: int = 4) -> None:
        self.min_fillers = integer_option("min_fillers", min_fillers, 0, len(FILLERS))
        self.max_fillers = integer_option("max_fillers", max_fillers, 0, len(FILLERS))
        if self.max_fillers < self.min_fillers:
            raise ValueError(
                f"max_fillers ({max_fillers}) must be at least min_fillers ({min_fillers})"
            )
        words = " ".join([OPENING.format(country=" ".join(COUNTRIES)), CLOSING, *FILLERS])
        self._one_hot = OneHotEncoder.tokens(f"{words} {' '.join(LANGUAGES)}", UNKNOWN, "words")
        self.encoder = self._one_hot
        self.output_labels = LANGUAGES
        self._countries = tuple(COUNTRIES)
        self._openings = [self._indices(OPENING.format(country=c)) for c in self._countries]
        self._fillers = [self._indices(sentence) for sentence in FILLERS]
        self._closing = self._indices(CLOSING)
        self._language_of = np.array([LANGUAGES.index(COUNTRIES[c]) for c in self._countries])

    def _indices(self, text: str) -> np.ndarray:
        return np.array([self._one_hot.index(token) for token in text.split()], np.int64)

    def sample(self, rng: np.random.Generator, batch: int) -> Batch:
        country = rng.integers(0, len(self._countries), batch)  # (B,)
        count = rng.integers(self.min_fillers, self.max_fillers + 1, batch)  # (B,)
        sequences = []
        for b in range(batch):
            chosen = rng.choice(len(self._fillers), size=count[b], replace=False)
            parts = [self._openings[country[b]], *(self._fillers[k] for k in chosen)]
            sequences.append(np.concatenate([*parts, self._closing]))
        lengths = np.array([len(s) for s in sequences])  # (B,)
        T = int(lengths.max())
        tokens = pad(sequences, fill=-1)  # (T, B), −1 on padding
        mask = last_step_mask(lengths, T)  # (T, B)
        y = np.zeros((T, batch), np.int64)
        y[lengths - 1, np.arange(batch)] = self._language_of[country]
        return Batch(one_hot(tokens, self.input_size), y, mask)

    def example(self) -> str:
        return " ".join([OPENING.format(country="france"), FILLERS[1], CLOSING])

    def config(self) -> dict[str, Any]:
        return {"min_fillers": self.min_fillers, "max_fillers": self.max_fillers}
