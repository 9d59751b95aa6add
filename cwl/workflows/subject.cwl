#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "FreeSurfer recon-all for one subject, in stages, both hemispheres in parallel"
doc: |
  Runs every step of recon-all -all for one subject as four stages; each stage receives
  the layers made by the ones before (each layer holds the files its stage created or
  changed), so the order comes from the data flow: autorecon1 -> autorecon2 (volume) ->
  autorecon-hemi lh | autorecon-hemi rh (in parallel) -> autorecon3 (all layers joined,
  then ribbon, parcellations, stats; its output is the complete subject folder).

  Equivalent commands:
    recon-all -s <subject_id> -i T1.nii.gz [-T2 T2.nii.gz -noT2pial] -autorecon1
    recon-all -s <subject_id> -autorecon2-volonly -gcareg
    recon-all -s <subject_id> -autorecon-hemi lh ...  &  recon-all -s <subject_id> -autorecon-hemi rh ...
    recon-all -s <subject_id> [-T2pial] -curvstats -cortribbon ... -segstats -balabels
    fs-cwl-run dicom <subject_id> -o <subject_id>/dicom   (only with dicom_export)

requirements:
  InlineJavascriptRequirement: {}
  StepInputExpressionRequirement: {}
  MultipleInputFeatureRequirement: {}

inputs:
  subject_id:
    type: string
    label: Subject id (the folder name under SUBJECTS_DIR)
    doc: "recon-all -s <subject_id>"
  t1w:
    type:
      type: array
      items: File
    label: T1-weighted images (NIfTI or MGZ); several are motion-corrected and averaged
    doc: "recon-all -i T1_1.nii.gz -i T1_2.nii.gz"
  t2w:
    type: File?
    label: T2-weighted image for pial surface refinement
    doc: "recon-all -T2 T2.nii.gz (the refinement itself runs in the last stage, -T2pial)"
  flair:
    type: File?
    label: FLAIR image for pial surface refinement
    doc: "recon-all -FLAIR FLAIR.nii.gz (the refinement itself runs in the last stage, -FLAIRpial)"
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
  dicom_export:
    type: boolean
    default: false
    label: Also write aseg as DICOM SEG and SR into the subject folder's dicom/
    doc: "fs-cwl-run dicom $SUBJECTS_DIR/<subject_id> -o $SUBJECTS_DIR/<subject_id>/dicom (after recon-all -all)"

steps:
  autorecon1:
    run: ../tools/autorecon1.cwl
    in:
      subject_id: subject_id
      t1w: t1w
      t2w: t2w
      flair: flair
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
      t2pial: {source: t2w, valueFrom: "$(self ? true : false)"}
      flairpial: {source: flair, valueFrom: "$(self ? true : false)"}
      extra_steps: extra_steps
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      fs_license: fs_license
    out: [subject_dir, aseg_stats, wmparc_stats, aparc_stats, recon_all_log]

  # Not a recon-all stage: it runs only when asked (fs_cwl_runner.stages skips steps with
  # `when`), and needs no FreeSurfer and no license.
  aseg_to_dicom:
    run: ../tools/aseg-to-dicom.cwl
    when: $(inputs.dicom_export)
    in:
      subject_dir: autorecon3/subject_dir
      dicom_export: dicom_export
    out: [with_dicom]

outputs:
  subject_dir:
    type: Directory
    label: The finished subject directory (with dicom/ when dicom_export is set)
    outputSource: [aseg_to_dicom/with_dicom, autorecon3/subject_dir]
    pickValue: first_non_null
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
