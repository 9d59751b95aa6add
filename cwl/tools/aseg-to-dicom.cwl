#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "aseg as DICOM: <subject>/dicom/aseg.seg.dcm (SEG) and aseg.sr.dcm (TID 1500 SR)"
doc: |
  Writes a finished subject's aseg (from recon-all -all, or at least -autorecon2 and the
  aseg stats) as DICOM for clinical viewers (OHIF, 3D Slicer, a PACS), into the subject
  folder's dicom/ folder; its output is the whole subject folder with dicom/ added.
  - aseg.seg.dcm: a DICOM Segmentation, one segment per aseg label present, numbered 1..N
    in ascending FreeSurfer label order (each segment's TrackingID is "FreeSurfer label
    <id>"), SNOMED CT codes of DICOM CID 7140 with laterality, FreeSurfer's colours;
  - aseg.sr.dcm: a TID 1500 measurement report, each structure's volume from
    stats/aseg.stats referencing its segment, and eTIV and the other whole-brain volumes;
  - reference/: the series both are drawn on and refer to, made from mri/rawavg.mgz (the
    input image as recon-all read it), marked DERIVED/SECONDARY; or, with `reference`, the
    subject's own T1 DICOM series (the SEG and SR then carry its patient module).
  aseg is resampled with nearest neighbour through both voxel-to-RAS matrices in Python
  (no mri_vol2vol, so no FreeSurfer license is needed).

  Equivalent commands (after recon-all -s <subject_id> -all):
    fs-cwl-run dicom $SUBJECTS_DIR/<subject_id> -o $SUBJECTS_DIR/<subject_id>/dicom [--reference T1_DICOM_DIR]

requirements:
  InlineJavascriptRequirement: {}
  # The output is the subject folder with dicom/ added: a writable copy of the input.
  InitialWorkDirRequirement:
    listing:
      - entry: $(inputs.subject_dir)
        writable: true

# Python, highdicom and pydicom, not FreeSurfer: the project's own image (docker/build.sh),
# whose python3 is the environment of fs-cwl and its dependencies.
hints:
  DockerRequirement:
    dockerPull: fs-cwl:0.1.0
  SoftwareRequirement:
    packages:
      fs-cwl:
        version: ["0.1.0"]
      highdicom:
        specs: ["https://pypi.org/project/highdicom/"]
  ResourceRequirement:
    coresMin: 1
    # The aseg on the reference grid, the SEG's frames and pydicom's datasets of them.
    ramMin: 3072
    # The copy of the subject folder, the SEG (~20 MB for a 256³ grid) and reference/.
    outdirMin: 2048
    tmpdirMin: 256

baseCommand: [fs-cwl-run, dicom]
arguments:
  - $(inputs.subject_dir.basename)
  - prefix: --output
    valueFrom: $(inputs.subject_dir.basename)/dicom

inputs:
  subject_dir:
    type: Directory
    label: The finished subject folder (workflows/subject.cwl's autorecon3 output)
    doc: "$SUBJECTS_DIR/<subject_id>, as recon-all -all leaves it"
  reference:
    type: Directory?
    label: "The subject's T1 as a DICOM series (default: a series made from mri/rawavg.mgz)"
    doc: "the series given to recon-all -i (as a DICOM folder): --reference T1_DICOM_DIR"
    inputBinding: {prefix: --reference}

outputs:
  with_dicom:
    type: Directory
    label: The subject folder with dicom/ added
    outputBinding: {glob: $(inputs.subject_dir.basename)}
  seg:
    type: File
    label: dicom/aseg.seg.dcm
    outputBinding: {glob: $(inputs.subject_dir.basename)/dicom/aseg.seg.dcm}
  sr:
    type: File
    label: dicom/aseg.sr.dcm
    outputBinding: {glob: $(inputs.subject_dir.basename)/dicom/aseg.sr.dcm}
