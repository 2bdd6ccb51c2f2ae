"""The registry builds every task by name, and every task keeps the shared contract of base.py:
seeded batches of the documented shapes and dtypes, a config that rebuilds the task, and a
metric that checks the outputs' shape."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.encoders import NumericEncoder, OneHotEncoder
from model.tasks import TASKS, make_task, task_options
from model.tasks.base import Batch, Task

NAMES = sorted(TASKS)


def test_the_registry_holds_the_six_tasks() -> None:
    assert set(TASKS) == {"france", "lag", "adding", "reber", "brackets", "text"}
    for name in NAMES:
        assert make_task(name).name == name


def test_an_unknown_task_is_a_value_error_listing_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown task 'paris'.*france.*text"):
        make_task("paris")


def test_an_unknown_option_is_a_value_error_naming_it_and_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"task 'lag' has no option 'q'; it takes p=10"):
        make_task("lag", q=3)
    with pytest.raises(ValueError, match=r"task 'reber' has no option 'length'; it takes no"):
        make_task("reber", length=3)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("lag", {"p": 1}, r"option p must be in \[2, 2000\], got 1"),
        ("lag", {"p": 2.5}, "option p must be an integer, got 2.5"),
        ("lag", {"p": True}, "option p must be an integer"),
        ("adding", {"length": 19}, r"option length must be in \[20, 2000\], got 19"),
        ("brackets", {"filler": 1.0}, r"option filler must be in \[0.0, 1.0\), got 1.0"),
        ("france", {"min_fillers": 3, "max_fillers": 2}, "max_fillers .* at least min_fillers"),
        ("text", {"length": 10**7}, r"option length must be in \[1, 2000\]"),
    ],
)
def test_bad_option_values_are_value_errors(name: str, options: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make_task(name, **options)


def test_task_options_lists_the_defaults() -> None:
    assert task_options("lag") == {"p": 10}
    assert task_options("brackets") == {"max_depth": 5, "length": 50, "filler": 0.2}
    assert task_options("reber") == {}


@pytest.mark.parametrize("name", NAMES)
def test_a_task_keeps_the_protocol(name: str) -> None:
    task: Task = make_task(name)
    assert task.loss in ("cross_entropy", "mse")
    assert isinstance(task.metric_name, str) and task.metric_name
    assert task.lower_is_better == (name == "text")
    assert isinstance(task.encoder, OneHotEncoder | NumericEncoder)
    assert task.input_size == task.encoder.size
    assert task.output_size == len(task.output_labels) >= 1
    assert all(isinstance(label, str) and label for label in task.output_labels)


@pytest.mark.parametrize("name", NAMES)
def test_config_is_json_and_rebuilds_the_same_task(name: str) -> None:
    task = make_task(name)
    config = json.loads(json.dumps(task.config()))
    assert config == task.config()
    again = make_task(name, **config)
    assert again.config() == task.config()
    assert again.encoder == task.encoder
    _assert_same(
        again.sample(np.random.default_rng(3), 5), task.sample(np.random.default_rng(3), 5)
    )


@pytest.mark.parametrize("name", NAMES)
def test_the_same_seed_gives_the_same_batch_and_another_seed_another(name: str) -> None:
    task = make_task(name)
    first = task.sample(np.random.default_rng(7), 6)
    _assert_same(first, task.sample(np.random.default_rng(7), 6))
    other = task.sample(np.random.default_rng(8), 6)
    assert first.x.shape != other.x.shape or not np.array_equal(first.x, other.x)


@pytest.mark.parametrize("name", NAMES)
def test_batches_have_the_documented_shapes_and_dtypes(name: str) -> None:
    task = make_task(name)
    batch = task.sample(np.random.default_rng(0), 5)
    T = batch.x.shape[0]
    assert batch.x.dtype == np.float32 and batch.x.shape == (T, 5, task.input_size)
    assert batch.mask.dtype == np.bool_ and batch.mask.shape == (T, 5)
    assert batch.mask.any(axis=0).all(), "every sequence counts somewhere"
    if task.loss == "cross_entropy":
        assert batch.y.dtype == np.int64 and batch.y.shape == (T, 5)
        assert batch.y.min() >= 0 and batch.y.max() < task.output_size
    else:
        assert batch.y.dtype == np.float32 and batch.y.shape == (T, 5, task.output_size)
    assert np.all(np.isfinite(batch.x))


@pytest.mark.parametrize("name", NAMES)
def test_the_metric_refuses_outputs_of_the_wrong_shape(name: str) -> None:
    task = make_task(name)
    batch = task.sample(np.random.default_rng(0), 3)
    T = batch.x.shape[0]
    score = task.metric(np.zeros((T, 3, task.output_size)), batch)
    assert np.isfinite(score)
    with pytest.raises(ValueError, match="outputs must have shape"):
        task.metric(np.zeros((T, 3, task.output_size + 1)), batch)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "adding"])
def test_the_example_is_in_the_encoders_vocabulary(name: str) -> None:
    task = make_task(name)
    assert isinstance(task.encoder, OneHotEncoder)
    symbols = task.encoder.tokenize(task.example())
    assert symbols
    assert all(symbol in task.encoder.vocabulary for symbol in symbols)


def _assert_same(a: Batch, b: Batch) -> None:
    for field in ("x", "y", "mask"):
        left, right = getattr(a, field), getattr(b, field)
        assert left.dtype == right.dtype
        np.testing.assert_array_equal(left, right)
