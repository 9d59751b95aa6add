"""The stage graph comes from cwl/workflows/subject.cwl, and one grammar reads Toil's log."""

from __future__ import annotations

from pathlib import Path

from fs_cwl_runner import state, toil_log
from fs_cwl_runner.local.backend import stage_event
from fs_cwl_runner.stages import STAGES, read_stage_graph, stage_graph


def test_stages_are_the_subject_workflows_steps_in_order() -> None:
    assert STAGES == (
        "autorecon1",
        "autorecon2_volume",
        "autorecon_lh",
        "autorecon_rh",
        "autorecon3",
    )
    assert state.STAGES == STAGES
    graph = stage_graph()
    assert graph["autorecon1"] == ()
    assert graph["autorecon_lh"] == graph["autorecon_rh"] == ("autorecon1", "autorecon2_volume")
    assert set(graph["autorecon3"]) == {
        "autorecon1",
        "autorecon2_volume",
        "autorecon_lh",
        "autorecon_rh",
    }


def test_graph_follows_the_workflow_file(tmp_path: Path) -> None:
    workflow = tmp_path / "w.cwl"
    workflow.write_text(
        "cwlVersion: v1.2\nclass: Workflow\ninputs: {x: File}\noutputs: {}\nsteps:\n"
        "  b:\n    run: b.cwl\n    in: {x: x}\n    out: [o]\n"
        "  a:\n    run: a.cwl\n    in:\n      i: {source: [b/o], linkMerge: merge_flattened}\n"
        "      flag: {default: lh}\n    out: [o]\n"
        "  c:\n    run: c.cwl\n    in: {i: a/o, j: [b/o, x]}\n    out: [o]\n"
    )
    assert read_stage_graph(workflow) == {"b": (), "a": ("b",), "c": ("b", "a")}


TOIL_LINES = {
    "[2026-12-01T10:00:00+0000] [MainThread] [I] [toil.leader] Issued job 'CWLJob' "
    "subject.cwl.autorecon_lh.autorecon-hemi.cwl kind-CWLJob/instance-abc v1 with job batch "
    "system ID: 7 and disk: 2.0 Gi": ("autorecon_lh", state.RUNNING),
    "[I] [toil.leader] Got message from job at time 12-01-2026 10:01: CWL step complete: "
    "subject.cwl.autorecon1.autorecon1.cwl": ("autorecon1", state.DONE),
    "[W] [toil.leader] Job 'CWLJob' subject.cwl.autorecon3.autorecon3-both.cwl "
    "kind-CWLJob/instance-x v6 is completely failed": ("autorecon3", state.FAILED),
}


def test_one_grammar_reads_stage_events_of_toils_log() -> None:
    for line, (stage, status) in TOIL_LINES.items():
        assert toil_log.stage_event(line) == toil_log.StageEvent(stage, status), line
        assert stage_event(line, "toil") == toil_log.StageEvent(stage, status), line
    group = "CWL step complete: cohort.cwl.group_tables.stats-tables.cwl"
    assert toil_log.stage_of(group.split(": ")[1]) == toil_log.GROUP
    assert toil_log.stage_event(group) is None
    assert (
        toil_log.stage_event(
            "Issued job 'CWLJob' subject.cwl.nosuch.x.cwl j v1 with job batch system ID: 1"
        )
        is None
    )
    assert toil_log.stage_event("recon-all -s sub-01 finished without error") is None


def test_cwltool_stage_events() -> None:
    assert stage_event("INFO [step autorecon1] start", "cwltool") == toil_log.StageEvent(
        "autorecon1", state.RUNNING
    )
    assert stage_event(
        "INFO [step autorecon_rh] completed success", "cwltool"
    ) == toil_log.StageEvent("autorecon_rh", state.DONE)
    assert stage_event(
        "WARNING [step autorecon3] completed permanentFail", "cwltool"
    ) == toil_log.StageEvent("autorecon3", state.FAILED)
    assert stage_event("INFO [step autorecon1] start", "toil") is None
