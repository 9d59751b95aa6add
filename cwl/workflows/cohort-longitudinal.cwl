#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "FreeSurfer's longitudinal stream over a cohort, then the group tables"
doc: |
  Scatters workflows/longitudinal.cwl over the subjects (each person's sessions
  cross-sectionally, their template, then each session longitudinally; people run on
  their own, as parallel as the runner allows), and workflows/subject.cwl over the
  cross_subjects (subjects with a single session or none, cross-sectional only), then
  builds two sets of group tables with tools/stats-tables.cwl: group/ from the
  <tp>.long.<subject> runs (the ones to analyse), one row per session, and group-cross/
  from every cross-sectional run, with their QC tables.

  Equivalent commands:
    for s in subjects: (recon-all stages of workflows/longitudinal.cwl for s)
    asegstats2table --subjects tp1.long.s1 tp2.long.s1 ... ; aparcstats2table ... ; ...
    asegstats2table --subjects tp1 tp2 ... ; aparcstats2table ... ; ...

requirements:
  InlineJavascriptRequirement:
    expressionLib:
      - $include: flatten.js
  MultipleInputFeatureRequirement: {}
  ScatterFeatureRequirement: {}
  StepInputExpressionRequirement: {}
  SubworkflowFeatureRequirement: {}
  SchemaDefRequirement:
    types:
      - $import: timepoint-type.yml
      - $import: longitudinal-subject-type.yml
      - $import: subject-type.yml

inputs:
  subjects:
    type: longitudinal-subject-type.yml#LongitudinalSubject[]
    label: The subjects, one record each with its sessions
    doc: "recon-all -base <subject_id> -tp <tp1> -tp <tp2> ... for each subject"
  cross_subjects:
    type: subject-type.yml#Subject[]
    default: []
    label: Subjects run cross-sectionally only (one session, or none)
    doc: "recon-all -s <subject_id> -i <t1w> ... -all for each (as workflows/cohort.cwl)"
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
    doc: "recon-all ... -cw256 (options given to every stage of every run)"
  extra_steps:
    type: string[]?
    label: Further recon-all steps at the end of each longitudinal run, such as -qcache
    doc: "recon-all -long <tp> <subject_id> ... -qcache"
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"

steps:
  subject:
    run: longitudinal.cwl
    scatter: subject
    in:
      subject: subjects
      subject_id: {valueFrom: $(inputs.subject.subject_id)}
      timepoints: {valueFrom: $(inputs.subject.timepoints)}
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      extra_steps: extra_steps
      fs_license: fs_license
    out:
      - cross_dirs
      - template_dir
      - long_dirs
      - cross_aseg_stats
      - cross_wmparc_stats
      - cross_aparc_stats
      - long_aseg_stats
      - long_wmparc_stats
      - long_aparc_stats

  cross_only:
    run: subject.cwl
    scatter: subject
    in:
      subject: cross_subjects
      subject_id: {valueFrom: $(inputs.subject.subject_id)}
      t1w: {valueFrom: $(inputs.subject.t1w)}
      t2w: {valueFrom: $(inputs.subject.t2w)}
      flair: {valueFrom: $(inputs.subject.flair)}
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      extra_steps: extra_steps
      fs_license: fs_license
    out: [subject_dir, aseg_stats, wmparc_stats, aparc_stats]

  group_tables:
    run: ../tools/stats-tables.cwl
    in:
      subjects: subjects
      subject_ids: {valueFrom: "$(timepointIds(inputs.subjects, true))"}
      aseg_stats: {source: subject/long_aseg_stats, valueFrom: $(flatten(self))}
      wmparc_stats: {source: subject/long_wmparc_stats, valueFrom: $(flatten(self))}
      aparc_stats: {source: subject/long_aparc_stats, valueFrom: $(flatten(self))}
    out: [tables]

  group_tables_cross:
    run: ../tools/stats-tables.cwl
    in:
      subjects: subjects
      cross_subjects: cross_subjects
      subject_ids:
        valueFrom: |
          $(timepointIds(inputs.subjects, false).concat(
            inputs.cross_subjects.map(function (s) { return s.subject_id; })))
      aseg_stats:
        source: [subject/cross_aseg_stats, cross_only/aseg_stats]
        linkMerge: merge_nested
        valueFrom: $(flatten(self[0]).concat(self[1]))
      wmparc_stats:
        source: [subject/cross_wmparc_stats, cross_only/wmparc_stats]
        linkMerge: merge_nested
        valueFrom: $(flatten(self[0]).concat(self[1]))
      aparc_stats:
        source: [subject/cross_aparc_stats, cross_only/aparc_stats]
        linkMerge: merge_nested
        valueFrom: $(flatten(self[0]).concat(self[1]))
    out: [tables]

  # The tables of the cross-sectional runs go out as group-cross/, beside group/.
  rename_cross:
    run:
      class: ExpressionTool
      label: The cross-sectional tables' folder, renamed group-cross
      doc: "mv group group-cross (no recon-all: a folder renamed)"
      inputs:
        tables:
          type: Directory
          label: The group/ folder of the cross-sectional runs
          doc: "asegstats2table --subjects tp1 tp2 ... --tablefile group/aseg.volume.tsv ..."
      outputs:
        renamed: Directory
      expression: '$({renamed: Object.assign(inputs.tables, {basename: "group-cross"})})'
    in:
      tables: group_tables_cross/tables
    out: [renamed]

outputs:
  cross_dirs:
    type:
      type: array
      items: {type: array, items: Directory}
    label: Each subject's cross-sectional folders, <subject>_<session>
    outputSource: subject/cross_dirs
  cross_only_dirs:
    type: Directory[]
    label: The folders of the cross_subjects
    outputSource: cross_only/subject_dir
  template_dirs:
    type: Directory[]
    label: Each subject's template folder, <subject>
    outputSource: subject/template_dir
  long_dirs:
    type:
      type: array
      items: {type: array, items: Directory}
    label: Each subject's longitudinal folders, <subject>_<session>.long.<subject>
    outputSource: subject/long_dirs
  group:
    type: Directory
    label: "group/: the tables of the longitudinal runs, one row per <tp>.long.<subject>"
    outputSource: group_tables/tables
  group_cross:
    type: Directory
    label: "group-cross/: the same tables of the cross-sectional runs, one row per session"
    outputSource: rename_cross/renamed
