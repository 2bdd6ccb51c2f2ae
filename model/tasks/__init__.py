"""The training tasks, by the name the CLI and the page use.

    france    colah 2015: the language of the country named before a gap of sentences
    lag       Hochreiter & Schmidhuber 1997, exp. 2b: the first symbol after p distractors
    adding    1997, exp. 4: the scaled sum of two marked values of a long sequence (mse)
    reber     1997, exp. 1: next symbol of embedded Reber strings
    brackets  the nesting depth of a bracket string at every step
    text      character-level language model of Python standard-library source

``make_task("lag", p=20)`` builds one; each module's docstring gives the task's source,
encoding, target, mask and metric, and each task's ``config()`` the options it was built with.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from model.tasks.adding import Adding
from model.tasks.base import Batch, Task
from model.tasks.brackets import Brackets
from model.tasks.france import France
from model.tasks.lag import Lag
from model.tasks.reber import Reber
from model.tasks.text import Text

TASKS: dict[str, Callable[..., Task]] = {
    "france": France,
    "lag": Lag,
    "adding": Adding,
    "reber": Reber,
    "brackets": Brackets,
    "text": Text,
}


def task_options(name: str) -> dict[str, Any]:
    """The options task ``name`` takes, with their defaults."""
    return {
        option: parameter.default
        for option, parameter in inspect.signature(_factory(name)).parameters.items()
    }


def make_task(name: str, **options: Any) -> Task:
    """The task called ``name``, built with ``options`` (see ``task_options``)."""
    known = task_options(name)
    unexpected = sorted(options.keys() - known.keys())
    if unexpected:
        takes = ", ".join(f"{option}={default!r}" for option, default in known.items())
        raise ValueError(
            f"task {name!r} has no option {', '.join(map(repr, unexpected))}; "
            f"it takes {takes or 'no options'}"
        )
    return _factory(name)(**options)


def _factory(name: str) -> Callable[..., Task]:
    if name not in TASKS:
        raise ValueError(f"unknown task {name!r}; expected one of {', '.join(TASKS)}")
    return TASKS[name]


__all__ = ["TASKS", "Batch", "Task", "make_task", "task_options"]
