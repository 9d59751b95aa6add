#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: Workflow

label: "FreeSurfer recon-all over a cohort, each subject delivered as soon as it finishes"
doc: |
  Scatters workflows/subject-delivered.cwl over the subjects: each subject runs the
  recon-all stages of workflows/subject.cwl, and its finished folder goes to
  <destination><subject_id>/ with a receipt in <destination>logs/delivered/, whatever the
  other subjects do (one that fails stops only itself). The outputs are the receipts
  alone, so that the runner's final export copies nothing large; the group tables are not
  a step here: they are built from the delivered subjects afterwards (the stats files
  the receipts list), and again when more subjects are delivered.

  Equivalent commands:
    for s in subjects: (recon-all stages of workflows/subject.cwl for s; then deliver s)

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
  destination:
    type: string
    label: "Folder the subjects go to: s3://bucket/prefix/ (or a local folder, for tests)"
    doc: "s3://bucket/prefix/outputs/<run>/: <subject_id>/ and logs/delivered/<subject_id>.json"

steps:
  subject:
    run: subject-delivered.cwl
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
      destination: destination
    out: [receipt]

outputs:
  receipts:
    type: File[]
    label: "Each subject's receipt (as at <destination>logs/delivered/<subject_id>.json)"
    outputSource: subject/receipt
