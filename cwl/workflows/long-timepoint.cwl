#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "recon-all -long for one timepoint: the timepoint again, against the template, in stages"
doc: |
  Runs one timepoint through the longitudinal stream, initialised from the person's
  template, in the four stages of workflows/subject.cwl: long-autorecon1 -> autorecon2
  (volume) -> autorecon-hemi lh | autorecon-hemi rh -> autorecon3 (its output is the
  complete <timepoint>.long.<template> folder). Every timepoint's cross-sectional folder
  and the template are read next to the run in each stage and never changed. With a T2
  or FLAIR in the timepoint's cross-sectional run, the last stage refines the pial surface
  with it, as recon-all -long does.

  Equivalent commands:
    recon-all -long <timepoint_id> <template> -autorecon1
    recon-all -long <timepoint_id> <template> -autorecon2-volonly -gcareg
    recon-all -long <timepoint_id> <template> -autorecon-hemi lh ...  &  (... rh ...)
    recon-all -long <timepoint_id> <template> [-T2pial] -curvstats -cortribbon ... -balabels
  (together, recon-all -long <timepoint_id> <template> -all)

requirements:
  MultipleInputFeatureRequirement: {}

inputs:
  timepoint_id:
    type: string
    label: The timepoint's id (its cross-sectional folder's name)
    doc: "recon-all -long <timepoint_id> <template>"
  template:
    type: Directory
    label: The finished within-subject template
    doc: "recon-all -long <timepoint_id> <template>"
  timepoints:
    type: Directory[]
    label: Every timepoint's finished cross-sectional folder (the template's base-tps)
    doc: "$SUBJECTS_DIR/<tp1> $SUBJECTS_DIR/<tp2> ... (read by recon-all -long)"
  t2pial:
    type: boolean
    default: false
    label: Refine the pial surface with the timepoint's T2 (from its cross-sectional run)
    doc: "recon-all -long <timepoint_id> <template> -T2pial"
  flairpial:
    type: boolean
    default: false
    label: Refine the pial surface with the timepoint's FLAIR (from its cross-sectional run)
    doc: "recon-all -long <timepoint_id> <template> -FLAIRpial"
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
  extra_steps:
    type: string[]?
    label: Further recon-all steps to run at the end, such as -qcache
    doc: "recon-all -long <timepoint_id> <template> ... -qcache"
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"

steps:
  autorecon1:
    run: ../tools/long-autorecon1.cwl
    in:
      timepoint_id: timepoint_id
      template: template
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
      template: template
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
      template: template
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
      template: template
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
      template: template
      timepoints: timepoints
      t2pial: t2pial
      flairpial: flairpial
      extra_steps: extra_steps
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [subject_dir, aseg_stats, wmparc_stats, aparc_stats, recon_all_log]

outputs:
  subject_dir:
    type: Directory
    label: The finished <timepoint>.long.<template> folder
    outputSource: autorecon3/subject_dir
  aseg_stats:
    type: File
    label: stats/aseg.stats
    outputSource: autorecon3/aseg_stats
  wmparc_stats:
    type: File
    label: stats/wmparc.stats
    outputSource: autorecon3/wmparc_stats
  aparc_stats:
    type: File[]
    label: stats/?h.aparc*.stats
    outputSource: autorecon3/aparc_stats
  recon_all_log:
    type: File
    label: scripts/recon-all.log
    outputSource: autorecon3/recon_all_log
