"""The backends table: every --backend choice has an entry, and the run command has its flags."""

from __future__ import annotations

import argparse

from fs_cwl_runner.cli.backends import BACKENDS, run_settings
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
