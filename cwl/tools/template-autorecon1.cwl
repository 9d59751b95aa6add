#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "recon-all -base -autorecon1: the within-subject template, made from the timepoints, to skull strip"
doc: |
  First stage of the longitudinal template (the "base"): Longitudinal Base Subject
  Creation (mri_robust_template registers every timepoint's cross-sectional norm.mgz into
  an unbiased median template and writes base-tps), then MotionCor, Talairach, Talairach
  Failure Detection, Nu Intensity Correction, Intensity Normalization and Skull Stripping
  on that template. Every timepoint's finished cross-sectional folder is read where
  recon-all looks for it, next to the template in SUBJECTS_DIR, and is never changed. The
  template takes no T2 or FLAIR: recon-all refines the pial surface in the cross-sectional
  and longitudinal runs only. The other template stages are the cross-sectional stage
  tools given `timepoints`.

  Equivalent command:
    recon-all -sd . -base <template_id> -tp <tp1> -tp <tp2> ... -autorecon1 -openmp <cores>
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
    ramMin: 4096
    outdirMin: 1024
    tmpdirMin: 1024

# recon-all-stage.sh puts the timepoints next to the template as folders of links, runs
# recon-all without DEBUG in the environment, then removes them (see the script).
baseCommand: [bash, recon-all-stage.sh]
arguments:
  - {position: -2, valueFrom: "$(besideArgs(inputs))"}
  - {position: -1, valueFrom: "--"}
  - {prefix: -sd, valueFrom: $(runtime.outdir)}
  - {prefix: -base, valueFrom: $(inputs.template_id)}
  - {valueFrom: "$(timepointArgs(inputs.timepoints))"}
  - -autorecon1
  - {prefix: -openmp, valueFrom: $(runtime.cores)}

inputs:
  template_id:
    type: string
    label: Template id (the person's folder name under SUBJECTS_DIR; differs from every timepoint id)
    doc: "recon-all -base <template_id>"
  timepoints:
    type: Directory[]
    label: Every timepoint's finished cross-sectional folder, in session order, read only
    doc: "recon-all -tp <tp1> -tp <tp2> ... (folders named by the timepoint ids)"
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
    label: The template folder after autorecon1 (the first layer of the template)
    outputBinding: {glob: $(inputs.template_id)}
