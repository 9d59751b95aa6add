#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "FreeSurfer recon-all over a cohort, then the group tables"
doc: |
  Scatters workflows/subject.cwl over the subjects (each subject runs on its own, as
  parallel as the runner allows), then builds the group tables with
  tools/stats-tables.cwl: asegstats2table, aparcstats2table for both hemispheres and
  the aparc, aparc.a2009s and aparc.DKTatlas parcellations, and a QC table of Euler
  numbers.

  Equivalent commands:
    for s in subjects: (recon-all stages of workflows/subject.cwl for s)
    asegstats2table --subjects s1 s2 ... ; aparcstats2table --subjects s1 s2 ... ; ...

requirements:
  InlineJavascriptRequirement: {}
  ScatterFeatureRequirement: {}
  StepInputExpressionRequirement: {}
  SubworkflowFeatureRequirement: {}
  SchemaDefRequirement:
    types:
      - $import: subject-type.yml

inputs:
  subjects:
    type: subject-type.yml#Subject[]
    label: The subjects, one record each
    doc: "recon-all -s <subject_id> -i <t1w> ... for each subject"
  three_tesla:
    type: boolean
    default: false
    label: Images were acquired at 3 T
    doc: "recon-all -3T (N3 and Talairach settings for 3 T data)"
  hires:
    type: boolean
    default: false
    label: Sub-millimetre images, processed at native resolution
    doc: "recon-all -hires (conform to the smallest voxel size instead of 1 mm)"
  expert:
    type: File?
    label: Expert options file
    doc: "recon-all -expert opts.txt -xopts-overwrite"
  extra_flags:
    type: string[]?
    label: Further recon-all flags, passed as given
    doc: "recon-all ... -cw256 -bigventricles (options given to every stage)"
  extra_steps:
    type: string[]?
    label: Further recon-all steps to run at the end, such as -qcache or -localGI
    doc: "recon-all ... -qcache"
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"

steps:
  subject:
    run: subject.cwl
    scatter: subject
    in:
      subject: subjects
      subject_id: {valueFrom: $(inputs.subject.subject_id)}
      t1w: {valueFrom: $(inputs.subject.t1w)}
      t2w: {valueFrom: $(inputs.subject.t2w)}
      flair: {valueFrom: $(inputs.subject.flair)}
      dicom_export: {valueFrom: $(inputs.subject.dicom_export === true)}
      extra_steps: extra_steps
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [subject_dir, aseg_stats, wmparc_stats, aparc_stats, recon_all_log]

  group_tables:
    run: ../tools/stats-tables.cwl
    in:
      subjects: subjects
      subject_ids:
        valueFrom: '$(inputs.subjects.map(function(s) { return s.subject_id; }))'
      aseg_stats: subject/aseg_stats
      wmparc_stats: subject/wmparc_stats
      aparc_stats: subject/aparc_stats
    out: [tables, qc_table]

outputs:
  subject_dirs:
    type: Directory[]
    label: One finished subject directory per subject (together, a SUBJECTS_DIR)
    outputSource: subject/subject_dir
  recon_all_logs:
    type: File[]
    label: Each subject's scripts/recon-all.log
    outputSource: subject/recon_all_log
  group:
    type: Directory
    label: "group/: the aseg, aparc and wmparc tables and qc.tsv"
    outputSource: group_tables/tables
