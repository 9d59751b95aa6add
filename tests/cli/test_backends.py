"""The backends table: every --backend choice has an entry, and the run command has its flags."""

from __future__ import annotations

import argparse

from fs_cwl_runner.cli.backends import BACKENDS, misplaced_flags, run_settings
from fs_cwl_runner.cli.main import build_parser
from fs_cwl_runner.settings import SETTINGS


def test_every_backend_choice_is_in_the_table() -> None:
    choices = SETTINGS["backend"].choices
    assert choices is not None and set(choices) == set(BACKENDS)
    for backend in BACKENDS.values():
        assert set(backend.settings) <= set(SETTINGS), backend.module


def test_the_run_command_offers_each_backends_settings_once() -> None:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    run = commands.choices["run"]
    flags = [flag for action in run._actions for flag in action.option_strings]
    for name in run_settings():
        assert flags.count(SETTINGS[name].flag) == 1, name
    args = parser.parse_args(["run", "c.yml", "--queue", "q", "--engine", "cwltool"])
    assert (args.queue, args.engine, args.detach) == ("q", "cwltool", False)
    assert run_settings().count("image") == 1  # read by both backends, offered once


def test_every_flag_of_the_other_backend_is_refused() -> None:
    """Derived from the table: each backend's own flags, given with the other backend."""
    for backend, entry in BACKENDS.items():
        for name in (*entry.settings, *entry.switches):
            for other, other_entry in BACKENDS.items():
                shared = name in (*other_entry.settings, *other_entry.switches)
                given: dict[str, object] = {name: "x"}
                if name in other_entry.only_with:  # read only with a switch: turn it on
                    given[other_entry.only_with[name]] = True
                problems = misplaced_flags(other, given)
                assert bool(problems) == (not shared), (name, other)
                if problems:
                    assert f"--backend {backend}" in problems[0]
                    assert f"does nothing with --backend {other}" in problems[0]
    assert misplaced_flags("local", {"queue": None, "detach": False}) == []
    assert misplaced_flags("aws", {"leader_queue": "q"}) == [
        "--leader-queue is read only with --detach: drop it or add --detach"
    ]
