#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "FreeSurfer recon-all for one subject, then its delivery to the destination"
doc: |
  Runs workflows/subject.cwl (every recon-all stage of one subject) and, as soon as its
  subject folder is finished, tools/deliver-subject.cwl: each file to
  <destination><subject_id>/, verified by SHA-256, then the receipt
  <destination>logs/delivered/<subject_id>.json. Scattered over a cohort
  (workflows/cohort-delivered.cwl), each subject is delivered when it finishes, whatever
  the others do: a step after the whole scatter would wait for every subject, and never
  run if one failed.

  Equivalent commands:
    (recon-all stages of workflows/subject.cwl for <subject_id>)
    aws s3 cp --recursive <subject_id> <destination><subject_id>/ ; (then the receipt)

requirements:
  SubworkflowFeatureRequirement: {}

inputs:
  subject_id:
    type: string
    label: Subject id (the folder name under SUBJECTS_DIR and at the destination)
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
  destination:
    type: string
    label: "Folder the subjects go to: s3://bucket/prefix/ (or a local folder, for tests)"
    doc: "s3://bucket/prefix/outputs/<run>/: <subject_id>/ and logs/delivered/<subject_id>.json"

steps:
  subject:
    run: subject.cwl
    in:
      subject_id: subject_id
      t1w: t1w
      t2w: t2w
      flair: flair
      three_tesla: three_tesla
      hires: hires
      expert: expert
      extra_flags: extra_flags
      extra_steps: extra_steps
      fs_license: fs_license
      dicom_export: dicom_export
    out: [subject_dir]

  deliver:
    run: ../tools/deliver-subject.cwl
    in:
      subject_dir: subject/subject_dir
      subject_id: subject_id
      destination: destination
    out: [receipt]

outputs:
  receipt:
    type: File
    label: "The subject's receipt (as at <destination>logs/delivered/<subject_id>.json)"
    outputSource: deliver/receipt
