#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "Group tables of the subjects delivered so far, from their stats files alone"
doc: |
  Runs tools/stats-tables.cwl on the stats files of finished subjects, wherever they are
  (s3:// locations of subjects that workflows/cohort-delivered.cwl delivered, or local
  files), so that the tables can be built from the subjects that finished, and built
  again as more finish, without moving any subject's whole folder. The one output is the
  group/ folder: aseg, aparc and wmparc tables and qc.tsv.

  Equivalent commands (SUBJECTS_DIR holding the subjects' stats/ folders):
    asegstats2table --subjects s1 s2 ... ; aparcstats2table --subjects s1 s2 ... ; ...

requirements:
  SubworkflowFeatureRequirement: {}

inputs:
  subject_ids:
    type: string[]
    label: Subject ids (each one a row of every table)
    doc: "asegstats2table --subjects s1 s2 ..."
  aseg_stats:
    type: File[]
    label: Each subject's stats/aseg.stats, in the order of subject_ids
    doc: "$SUBJECTS_DIR/<subject>/stats/aseg.stats"
  wmparc_stats:
    type: File[]
    label: Each subject's stats/wmparc.stats, in the order of subject_ids
    doc: "$SUBJECTS_DIR/<subject>/stats/wmparc.stats"
  aparc_stats:
    type:
      type: array
      items:
        type: array
        items: File
    label: Each subject's stats/?h.aparc*.stats, in the order of subject_ids
    doc: "$SUBJECTS_DIR/<subject>/stats/lh.aparc.stats ..."

steps:
  group_tables:
    run: ../tools/stats-tables.cwl
    in:
      subject_ids: subject_ids
      aseg_stats: aseg_stats
      wmparc_stats: wmparc_stats
      aparc_stats: aparc_stats
    out: [tables]

outputs:
  group:
    type: Directory
    label: "group/: the aseg, aparc and wmparc tables and qc.tsv"
    outputSource: group_tables/tables
