"""france: the decoded sentences have the post's shape, the target is the country's language,
the gap varies, and no filler gives the answer away."""

from __future__ import annotations

import numpy as np
import pytest

from model.encoders import OneHotEncoder
from model.tasks.france import COUNTRIES, FILLERS, LANGUAGES, France
from tests.model.tasks.helpers import confident, decode

# Words that would name a place or a language besides the task's own.
ELSEWHERE = {"english", "america", "europe", "chinese", "abroad", "language", "speak", "fluent"}


def test_the_task_has_enough_countries_and_fillers() -> None:
    assert len(COUNTRIES) >= 6
    assert set(LANGUAGES) == set(COUNTRIES.values())
    assert len(FILLERS) >= 20 and len(set(FILLERS)) == len(FILLERS)


def test_fillers_never_mention_a_country_or_a_language() -> None:
    forbidden = set(COUNTRIES) | set(LANGUAGES) | ELSEWHERE
    for sentence in FILLERS:
        words = sentence.split()
        assert words[-1] == "." and "." not in words[:-1], sentence
        assert sentence == sentence.lower()
        assert not forbidden & set(words), sentence


def test_each_sequence_is_the_posts_sentence_and_its_target_the_countrys_language() -> None:
    task = France()
    assert isinstance(task.encoder, OneHotEncoder)
    batch = task.sample(np.random.default_rng(0), 200)
    fillers_seen = set()
    for b in range(200):
        words = decode(task.encoder, batch, b)
        assert words[:4] == ["i", "grew", "up", "in"] and words[5] == "."
        assert words[-3:] == ["i", "speak", "fluent"]
        country = words[4]
        middle = " ".join(words[6:-3])
        sentences = [s.strip() + " ." for s in middle.split(" .") if s.strip()]
        assert all(s in FILLERS for s in sentences)
        assert len(set(sentences)) == len(sentences) <= 4
        fillers_seen.add(len(sentences))
        last = len(words) - 1
        assert np.flatnonzero(batch.mask[:, b]).tolist() == [last]
        assert task.output_labels[batch.y[last, b]] == COUNTRIES[country]
    assert fillers_seen == {0, 1, 2, 3, 4}, "the gap varies over the whole range"


def test_the_filler_range_is_an_option() -> None:
    task = France(min_fillers=2, max_fillers=2)
    assert task.config() == {"min_fillers": 2, "max_fillers": 2}
    batch = task.sample(np.random.default_rng(1), 20)
    for b in range(20):
        assert decode(task.encoder, batch, b).count(".") == 3  # the opening's and two fillers'
    with pytest.raises(ValueError, match="max_fillers"):
        France(max_fillers=len(FILLERS) + 1)


def test_the_example_is_the_posts_sentence_without_the_answer() -> None:
    example = France().example()
    assert example.startswith("i grew up in france . ")
    assert example.endswith(". i speak fluent")
    assert "french" not in example.split()


def test_accuracy_is_one_for_the_right_language_and_chance_for_random_outputs() -> None:
    task = France()
    batch = task.sample(np.random.default_rng(2), 400)
    assert task.metric(confident(batch.y, task.output_size), batch) == 1.0
    noise = np.random.default_rng(3).standard_normal((*batch.mask.shape, task.output_size))
    assert task.metric(noise, batch) == pytest.approx(1 / len(LANGUAGES), abs=0.06)
