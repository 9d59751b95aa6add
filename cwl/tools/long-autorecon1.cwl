#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "recon-all -long -autorecon1: one timepoint again, initialised from the template, to skull strip"
doc: |
  First stage of a longitudinal run: creates <timepoint>.long.<template> from the
  timepoint's cross-sectional run and the template (the template's brain mask, Talairach
  transform and surfaces are copied in, the timepoint's image is resampled into the
  template's space), then MotionCor, Talairach, Talairach Failure Detection, Nu Intensity
  Correction, Intensity Normalization and Skull Stripping. Every timepoint's finished
  cross-sectional folder and the template are read where recon-all looks for them, next
  to the run in SUBJECTS_DIR (the subcortical segmentation of a later stage fuses all the
  timepoints' segmentations), and are never changed. A T2 or FLAIR image comes from the
  timepoint's own cross-sectional folder (mri/orig/T2raw.mgz), used by the last stage's
  -T2pial. The other longitudinal stages are the cross-sectional stage tools given
  `timepoints` and `template`; recon-all itself leaves out the steps whose results the
  template provides (Fill and the surface steps from Tessellate to Fix Topology).

  Equivalent command:
    recon-all -sd . -long <timepoint_id> <template> -autorecon1 -openmp <cores>
              [-3T] [-hires] [-expert opts.txt -xopts-overwrite]

requirements:
  InitialWorkDirRequirement:
    listing:
      - entryname: recon-all-stage.sh
        entry:
          $include: recon-all-stage.sh
  InlineJavascriptRequirement:
    expressionLib:
      - $include: recon-all-subject.js
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

# recon-all-stage.sh puts the timepoints and the template next to the run as folders of
# links, runs recon-all without DEBUG in the environment, then removes them.
baseCommand: [bash, recon-all-stage.sh]
arguments:
  - {position: -2, valueFrom: "$(besideArgs(inputs))"}
  - {position: -1, valueFrom: "--"}
  - {prefix: -sd, valueFrom: $(runtime.outdir)}
  - {valueFrom: '$(["-long", inputs.timepoint_id, inputs.template.basename])'}
  - -autorecon1
  - {prefix: -openmp, valueFrom: $(runtime.cores)}

inputs:
  timepoint_id:
    type: string
    label: The timepoint's id (its cross-sectional folder's name, one of the timepoints)
    doc: "recon-all -long <timepoint_id> <template>"
  template:
    type: Directory
    label: The finished within-subject template, read only
    doc: "recon-all -long <timepoint_id> <template> (the folder's name is the template id)"
  timepoints:
    type: Directory[]
    label: Every timepoint's finished cross-sectional folder (the template's base-tps), read only
    doc: "$SUBJECTS_DIR/<tp1> $SUBJECTS_DIR/<tp2> ... (read by recon-all -long)"
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
    label: The longitudinal run's folder after autorecon1 (its first layer)
    outputBinding: {glob: "$(inputs.timepoint_id).long.$(inputs.template.basename)"}
