"""The command line's own behaviour: typos, help, validate's report, Ctrl-C, internal errors."""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

import pytest

from fs_cwl_runner import state
from fs_cwl_runner.cli import main as cli_main
from fs_cwl_runner.cli.parser import EXIT_INTERNAL, build_parser, normalize_argv
from fs_cwl_runner.cohort.load import load_cohort
from fs_cwl_runner.settings import UsageError

from support.bad_inputs import STAND_IN_LICENSE, BadInput, build


@pytest.fixture
def case(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a good cohort and a stand-in license, as the current folder."""
    build(BadInput("good", 0, (), ()), tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FS_CWL_CONFIG", os.devnull)
    monkeypatch.setenv("FS_LICENSE", str(tmp_path / "license.txt"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    for name in [n for n in os.environ if n.startswith("FS_CWL_") and n != "FS_CWL_CONFIG"]:
        monkeypatch.delenv(name)
    return tmp_path


def test_a_close_bare_word_is_a_typo_but_an_existing_file_is_a_cohort(case: Path) -> None:
    with pytest.raises(UsageError, match="unknown command 'valdiate'; did you mean validate"):
        normalize_argv(["valdiate", "cohort.yml"])
    (case / "plna").write_text("subjects: []\n")
    assert normalize_argv(["plna"]) == ["run", "plna"]
    assert normalize_argv(["cohort.yml"]) == ["run", "cohort.yml"]
    assert normalize_argv(["--config", "c.yml", "x.yml"]) == ["--config", "c.yml", "run", "x.yml"]
    assert normalize_argv(["--backend", "aws", "x.yml"])[0] == "run"


def test_every_cohort_argument_has_help() -> None:
    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for name, command in commands.choices.items():
        for action in command._actions:
            if action.dest == "cohort":
                assert action.help, name


def test_teardown_offers_only_the_settings_it_reads(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["aws", "teardown", "--help"])
    text = capsys.readouterr().out
    assert "--image" not in text and "--region" in text and "--config" in text


def test_validate_json_and_quiet(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main.main(["validate", "cohort.yml", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True
    assert cli_main.main(["validate", "cohort.yml", "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    (case / "license.txt").write_text("")
    assert cli_main.main(["validate", "cohort.yml", "--json", "--queue", "q"]) == 2
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False and set(result["problems"]) == {"settings", "license"}
    assert STAND_IN_LICENSE.splitlines()[-1] not in json.dumps(result)


def test_config_flag_is_read(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = case / "config.yml"
    config.write_text("engine: snakemake\n")
    assert cli_main.main(["--config", str(config), "validate", "cohort.yml"]) == 2
    assert "--engine / FS_CWL_ENGINE: 'snakemake'" in capsys.readouterr().err
    assert cli_main.main(["validate", "cohort.yml", "--config", str(case / "no.yml")]) == 2
    assert f"config file {case / 'no.yml'} does not exist" in capsys.readouterr().err


def replace_handler(monkeypatch: pytest.MonkeyPatch, name: str, error: BaseException) -> None:
    def handler(_args: argparse.Namespace, _config: dict[str, Any]) -> int:
        raise error

    monkeypatch.setitem(cli_main.HANDLERS, name, handler)


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (["validate", "cohort.yml"], "interrupted: nothing was written"),
        (["plan", "cohort.yml", "-o", "job.yml"], "interrupted: nothing was written"),
        (["run", "cohort.yml"], "run the same command again to resume"),
    ],
)
def test_ctrl_c_says_what_it_means_for_the_command(
    command: list[str], said: str, case: Path, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> None:
    replace_handler(monkeypatch, command[0], KeyboardInterrupt())
    assert cli_main.main(command) == 130
    err = capsys.readouterr().err
    assert said in err
    assert command[0] == "run" or "resume" not in err


def test_an_internal_error_is_one_line_and_a_file(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    replace_handler(monkeypatch, "validate", RuntimeError("a bug"))
    assert cli_main.main(["validate", "cohort.yml"]) == EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("internal error: RuntimeError: a bug;")
    [saved] = (case / "state" / "fs-cwl").iterdir()
    assert f"traceback in {saved}" in err
    assert "Traceback" in saved.read_text() and "a bug" in saved.read_text()


def test_status_columns_follow_stage_names(case: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A record listing its stages in another order (or not all) shows each in its column."""
    record = {
        "cohort": "c.yml",
        "output": str(case / "results"),
        "backend": "local",
        "engine": "toil",
        "subjects": [{"subject_id": "s1", "stages": [{"name": "autorecon3", "status": "done"}]}],
    }
    (case / "results" / "logs").mkdir(parents=True)
    (case / "results" / "logs" / "run.json").write_text(json.dumps(record))
    assert cli_main.main(["status", str(case / "results")]) == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith("s1"))
    assert row.split()[2:] == ["-", "-", "-", "-", "done"]


def test_status_of_a_cohort_file_reads_its_output(
    case: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cohort, _ = load_cohort(case / "cohort.yml", check_images=False)
    record = state.RunRecord(
        str(cohort.path), cohort.output, "aws", "toil", subjects=[state.SubjectRecord("s1")]
    )
    record.subjects[0].status = state.FAILED
    state.save(record, Path(cohort.output) / "logs" / "run.json")
    assert cli_main.main(["status", "cohort.yml", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["subjects"][0]["status"] == "failed"
    (case / "notes.txt").write_text("not: [a cohort\n")
    assert cli_main.main(["status", "notes.txt"]) == 2
    assert "status: notes.txt is a file but not a cohort file" in capsys.readouterr().err


def test_an_empty_config_variable_means_no_config_file(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("FS_CWL_CONFIG", "")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(case / "no-config-here"))
    assert cli_main.main(["validate", "cohort.yml", "--container", "podman", "--quiet"]) in (0, 2)
    assert "config file" not in capsys.readouterr().err


def test_aws_lead_reports_an_aws_error_as_exit_1(
    case: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from fs_cwl_runner.aws import leader_job
    from fs_cwl_runner.aws.errors import AwsError

    def failing_leader(results: str) -> int:
        raise AwsError("reading the job order: access denied (AccessDenied)", code="AccessDenied")

    monkeypatch.setattr(leader_job, "run_leader", failing_leader)
    assert cli_main.main(["aws", "lead", "s3://bucket/results/run"]) == 1
    err = capsys.readouterr().err
    assert "AccessDenied" in err and "internal error" not in err
