#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "FreeSurfer's longitudinal stream for one person: cross-sectional, template, longitudinal"
doc: |
  Runs every session of one person through workflows/subject.cwl (cross-sectionally, in
  parallel), then makes the unbiased within-subject template from them
  (workflows/template.cwl), then runs every session again against the template
  (workflows/long-timepoint.cwl, in parallel), giving <timepoint>.long.<subject_id>
  folders. All stages are staged as in the cross-sectional stream, lh and rh in parallel.
  T2/FLAIR images refine the pial surface in the cross-sectional and longitudinal runs,
  as recon-all does; extra steps (-qcache) run in the longitudinal runs only.

  Equivalent commands:
    recon-all -s <tp> -i <t1w> [-T2 T2.nii.gz -T2pial] -all          for each timepoint
    recon-all -base <subject_id> -tp <tp1> -tp <tp2> ... -all
    recon-all -long <tp> <subject_id> [-T2pial] -all [-qcache]         for each timepoint

requirements:
  InlineJavascriptRequirement: {}
  ScatterFeatureRequirement: {}
  StepInputExpressionRequirement: {}
  SubworkflowFeatureRequirement: {}
  SchemaDefRequirement:
    types:
      - $import: timepoint-type.yml

inputs:
  subject_id:
    type: string
    label: Subject id, the template's folder name (differs from every timepoint id)
    doc: "recon-all -base <subject_id> -tp <tp1> -tp <tp2> ..."
  timepoints:
    type: timepoint-type.yml#Timepoint[]
    label: The sessions, two or more, one record each
    doc: "recon-all -s <timepoint_id> -i <t1w> ... for each session"
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
  cross:
    run: subject.cwl
    scatter: timepoint
    in:
      timepoint: timepoints
      subject_id: {valueFrom: $(inputs.timepoint.timepoint_id)}
      t1w: {valueFrom: $(inputs.timepoint.t1w)}
      t2w: {valueFrom: $(inputs.timepoint.t2w)}
      flair: {valueFrom: $(inputs.timepoint.flair)}
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [subject_dir, aseg_stats, wmparc_stats, aparc_stats]

  template:
    run: template.cwl
    in:
      template_id: subject_id
      timepoints: cross/subject_dir
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [template_dir]

  long:
    run: long-timepoint.cwl
    scatter: timepoint
    in:
      timepoint: timepoints
      timepoint_id: {valueFrom: $(inputs.timepoint.timepoint_id)}
      t2pial: {valueFrom: "$(inputs.timepoint.t2w ? true : false)"}
      flairpial: {valueFrom: "$(inputs.timepoint.flair ? true : false)"}
      template: template/template_dir
      timepoints: cross/subject_dir
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      extra_steps: extra_steps
      fs_license: fs_license
    out: [subject_dir, aseg_stats, wmparc_stats, aparc_stats]

outputs:
  cross_dirs:
    type: Directory[]
    label: Each session's cross-sectional folder, <timepoint_id>
    outputSource: cross/subject_dir
  template_dir:
    type: Directory
    label: The within-subject template folder, <subject_id>
    outputSource: template/template_dir
  long_dirs:
    type: Directory[]
    label: Each session's longitudinal folder, <timepoint_id>.long.<subject_id>
    outputSource: long/subject_dir
  cross_aseg_stats:
    type: File[]
    label: stats/aseg.stats of each cross-sectional run
    outputSource: cross/aseg_stats
  cross_wmparc_stats:
    type: File[]
    label: stats/wmparc.stats of each cross-sectional run
    outputSource: cross/wmparc_stats
  cross_aparc_stats:
    type:
      type: array
      items: {type: array, items: File}
    label: stats/?h.aparc*.stats of each cross-sectional run
    outputSource: cross/aparc_stats
  long_aseg_stats:
    type: File[]
    label: stats/aseg.stats of each longitudinal run
    outputSource: long/aseg_stats
  long_wmparc_stats:
    type: File[]
    label: stats/wmparc.stats of each longitudinal run
    outputSource: long/wmparc_stats
  long_aparc_stats:
    type:
      type: array
      items: {type: array, items: File}
    label: stats/?h.aparc*.stats of each longitudinal run
    outputSource: long/aparc_stats
