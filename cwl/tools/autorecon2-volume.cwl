#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "recon-all -autorecon2-volonly -gcareg: subcortical segmentation and white-matter fill"
doc: |
  Second recon-all stage: the volume part of autorecon2, from EM registration and CA
  registration (the longest single step, multi-threaded) to the subcortical segmentation,
  white-matter segmentation and Fill. Surfaces are made per hemisphere by autorecon-hemi.cwl.

  The subject folder is made of links to the files of the earlier layers (autorecon1's);
  the output, this stage's layer, holds only the files recon-all created or changed.

  In the longitudinal stream the same stage runs the template (given `timepoints`:
  recon-all -base <subject_id> -tp <tp1> -tp <tp2> ... instead of -s <subject_id>) and each
  longitudinal run (given `timepoints` and `template`: recon-all -long <tp> <template>,
  subject folder <tp>.long.<template>), with those finished folders read beside it.

  Equivalent command:
    recon-all -sd . -s <subject_id> -autorecon2-volonly -gcareg -openmp <cores>
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
    coresMin: 2
    ramMin: 6144
    outdirMin: 2048
    tmpdirMin: 1024

# recon-all-stage.sh links the layers into a subject folder, runs recon-all without DEBUG
# in the environment, then keeps only the new and changed files (see the script).
baseCommand: [bash, recon-all-stage.sh]
arguments:
  - {position: -4, prefix: --subject, valueFrom: "$(inputs.layers[0].basename)"}
  - {position: -2, valueFrom: "$(besideArgs(inputs))"}
  - {position: -1, valueFrom: "--"}
  - {prefix: -sd, valueFrom: $(runtime.outdir)}
  # -s <subject>, or -base <template> -tp ..., or -long <timepoint> <template>
  - {valueFrom: "$(reconAllSubject(inputs))"}
  - -autorecon2-volonly
  # -autorecon2-volonly leaves out EM Registration; -gcareg puts it back.
  - -gcareg
  - {prefix: -openmp, valueFrom: $(runtime.cores)}

inputs:
  layers:
    type:
      type: array
      items: Directory
      inputBinding: {prefix: --layer}
    inputBinding: {position: -3}
    label: The layers of the earlier stages, in stage order (autorecon1's), read only
    doc: "SUBJECTS_DIR=. recon-all -s <layer basename> ... (in a folder of links to their files)"
  three_tesla:
    type: boolean
    default: false
    label: Images were acquired at 3 T
    doc: "recon-all -3T (given to every stage, as to one recon-all -all)"
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
  timepoints:
    type: Directory[]?
    label: Every timepoint's finished cross-sectional folder (longitudinal stream only), read only
    doc: "recon-all -base <subject> -tp <tp1> -tp <tp2> ... (given alone: this subject is the template)"
  template:
    type: Directory?
    label: The finished within-subject template (longitudinal runs only), read only
    doc: "recon-all -long <timepoint> <template> ... (this subject is <timepoint>.long.<template>)"
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"

outputs:
  layer:
    type: Directory
    label: This stage's layer, the subject's files it created or changed
    outputBinding: {glob: "$(inputs.layers[0].basename)"}
