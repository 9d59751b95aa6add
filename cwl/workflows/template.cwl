#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "recon-all -base for one person: the within-subject template, in stages, lh and rh in parallel"
doc: |
  Makes the unbiased within-subject template of the longitudinal stream from every
  timepoint's finished cross-sectional folder, in the four stages of workflows/subject.cwl
  (the first one also creates the template from the timepoints): template-autorecon1 ->
  autorecon2 (volume) -> autorecon-hemi lh | autorecon-hemi rh -> autorecon3 (its output
  is the complete template folder). The timepoints are read next to the template in each
  stage and never changed.

  Equivalent commands:
    recon-all -base <template_id> -tp <tp1> -tp <tp2> ... -autorecon1
    recon-all -base <template_id> -tp <tp1> ... -autorecon2-volonly -gcareg
    recon-all -base <template_id> -tp <tp1> ... -autorecon-hemi lh ...  &  (... rh ...)
    recon-all -base <template_id> -tp <tp1> ... -curvstats -cortribbon ... -segstats -balabels
  (together, recon-all -base <template_id> -tp <tp1> -tp <tp2> ... -all)

requirements:
  MultipleInputFeatureRequirement: {}

inputs:
  template_id:
    type: string
    label: Template id (the person's folder name; differs from every timepoint id)
    doc: "recon-all -base <template_id>"
  timepoints:
    type: Directory[]
    label: Every timepoint's finished cross-sectional folder, in session order
    doc: "recon-all -tp <tp1> -tp <tp2> ..."
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
    doc: "recon-all ... -cw256 (options given to every stage)"
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"

steps:
  autorecon1:
    run: ../tools/template-autorecon1.cwl
    in:
      template_id: template_id
      timepoints: timepoints
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [layer]

  autorecon2_volume:
    run: ../tools/autorecon2-volume.cwl
    in:
      layers:
        source: [autorecon1/layer]
        linkMerge: merge_flattened
      timepoints: timepoints
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [layer]

  autorecon_lh:
    run: ../tools/autorecon-hemi.cwl
    in:
      layers:
        source: [autorecon1/layer, autorecon2_volume/layer]
        linkMerge: merge_flattened
      timepoints: timepoints
      hemi: {default: lh}
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [layer]

  autorecon_rh:
    run: ../tools/autorecon-hemi.cwl
    in:
      layers:
        source: [autorecon1/layer, autorecon2_volume/layer]
        linkMerge: merge_flattened
      timepoints: timepoints
      hemi: {default: rh}
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [layer]

  autorecon3:
    run: ../tools/autorecon3-both.cwl
    in:
      layers:
        source: [autorecon1/layer, autorecon2_volume/layer, autorecon_lh/layer, autorecon_rh/layer]
        linkMerge: merge_flattened
      timepoints: timepoints
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [subject_dir, recon_all_log]

outputs:
  template_dir:
    type: Directory
    label: The finished template folder (with base-tps)
    outputSource: autorecon3/subject_dir
  recon_all_log:
    type: File
    label: scripts/recon-all.log of the template
    outputSource: autorecon3/recon_all_log
