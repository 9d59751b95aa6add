#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "recon-all -autorecon1: import, motion correction, Talairach, intensity normalization, skull strip"
doc: |
  First recon-all stage. Creates the subject directory from one or more T1-weighted images
  (and an optional T2-weighted or FLAIR image, imported now and used for pial refinement in
  the last stage) and runs MotionCor, Talairach, Talairach Failure Detection, Nu Intensity
  Correction, Intensity Normalization and Skull Stripping.

  Equivalent command:
    recon-all -sd . -s <subject_id> -i T1_1.nii.gz [-i T1_2.nii.gz] [-T2 T2.nii.gz -noT2pial]
              -autorecon1 -openmp <cores> [-3T] [-hires] [-expert opts.txt -xopts-overwrite]

requirements:
  InitialWorkDirRequirement:
    listing:
      - entryname: recon-all-stage.sh
        entry:
          $include: recon-all-stage.sh
  InlineJavascriptRequirement: {}
  EnvVarRequirement:
    envDef:
      FS_LICENSE: $(inputs.fs_license.path)

hints:
  DockerRequirement:
    dockerPull: freesurfer/freesurfer:7.3.2
  SoftwareRequirement:
    packages:
      freesurfer:
        specs: ["https://identifiers.org/RRID:SCR_001847"]
        version: ["7.3.2"]
  ResourceRequirement:
    coresMin: 1
    ramMin: 3072
    outdirMin: 1024
    tmpdirMin: 1024

# recon-all-stage.sh runs recon-all without DEBUG in the environment and keeps empty
# folders (see the script).
baseCommand: [bash, recon-all-stage.sh]
arguments:
  - {prefix: -sd, valueFrom: $(runtime.outdir)}
  - -autorecon1
  - {prefix: -openmp, valueFrom: $(runtime.cores)}
  # -T2/-FLAIR alone also schedule the pial refinement, which needs surfaces; the -no
  # flags must come after them to win.
  - {position: 20, valueFrom: '$(inputs.t2w ? "-noT2pial" : null)'}
  - {position: 20, valueFrom: '$(inputs.flair ? "-noFLAIRpial" : null)'}


inputs:
  subject_id:
    type: string
    label: Subject id (the folder name under SUBJECTS_DIR)
    doc: "recon-all -s <subject_id>"
    inputBinding: {prefix: -s}
  t1w:
    type:
      type: array
      items: File
      inputBinding: {prefix: -i}
    label: T1-weighted images (NIfTI or MGZ); several are motion-corrected and averaged
    doc: "recon-all -i T1_1.nii.gz -i T1_2.nii.gz"
  t2w:
    type: File?
    label: T2-weighted image for pial surface refinement
    doc: "recon-all -T2 T2.nii.gz (the refinement itself runs in the last stage, -T2pial)"
    inputBinding: {prefix: -T2}
  flair:
    type: File?
    label: FLAIR image for pial surface refinement
    doc: "recon-all -FLAIR FLAIR.nii.gz (the refinement itself runs in the last stage, -FLAIRpial)"
    inputBinding: {prefix: -FLAIR}
  three_tesla:
    type: boolean
    default: false
    label: Images were acquired at 3 T
    doc: "recon-all -3T (N3 and Talairach settings for 3 T data)"
    inputBinding: {prefix: -3T}
  hires:
    type: boolean
    default: false
    label: Sub-millimetre images, processed at native resolution
    doc: "recon-all -hires (conform to the smallest voxel size instead of 1 mm)"
    inputBinding: {prefix: -hires}
  expert:
    type: File?
    label: Expert options file
    doc: "recon-all -expert opts.txt -xopts-overwrite"
    inputBinding:
      prefix: -expert
      valueFrom: $([self.path, "-xopts-overwrite"])
  extra_flags:
    type: string[]?
    label: Further recon-all flags, passed as given
    doc: "recon-all ... -cw256 -bigventricles"
    inputBinding: {position: 10}
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"

outputs:
  layer:
    type: Directory
    label: The subject directory after autorecon1 (the first layer of the subject)
    outputBinding: {glob: $(inputs.subject_id)}
  recon_all_log:
    type: File
    label: scripts/recon-all.log
    outputBinding: {glob: $(inputs.subject_id)/scripts/recon-all.log}
