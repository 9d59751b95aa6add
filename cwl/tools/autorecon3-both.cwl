#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "recon-all autorecon3, both hemispheres: join the layers, then ribbon, parcellations, stats"
doc: |
  Last recon-all stage. The subject folder is made of links to the files of the earlier
  layers, in stage order (autorecon1, autorecon2-volume, lh, rh; a later layer's file
  replaces an earlier one's). Then it runs, in the order of recon-all -all: T2/FLAIR pial refinement (when asked), Curvature Stats, Cortical ribbon
  mask, Cortical Parc 2 and 3, WM/GM Contrast, Relabel Hypointensities, APas-to-ASeg,
  AParc-to-ASeg, WMParc, Parcellation Stats 1-3, ASeg Stats and BA_exvivo Labels. Its
  output is the complete, finished subject folder (the links replaced by copies).

  In the longitudinal stream the same stage runs the template (given `timepoints`:
  recon-all -base <subject_id> -tp <tp1> -tp <tp2> ... instead of -s <subject_id>) and each
  longitudinal run (given `timepoints` and `template`: recon-all -long <tp> <template>,
  subject folder <tp>.long.<template>), with those finished folders read beside it.
  recon-all -base leaves out WM/GM Contrast (-pctsurfcon) by itself.

  Equivalent commands:
    cp -Rp autorecon1/<subject_id> autorecon2/<subject_id> lh/<subject_id> rh/<subject_id> .
    recon-all -sd . -s <subject_id> [-T2pial | -FLAIRpial] -curvstats -cortribbon
              -cortparc2 -cortparc3 -pctsurfcon -hyporelabel -apas2aseg -aparc2aseg
              -wmparc -parcstats -parcstats2 -parcstats3 -segstats -balabels
              -openmp <cores> [-3T] [-hires] [-expert ...] [-qcache]

requirements:
  InlineJavascriptRequirement:
    expressionLib:
      - $include: recon-all-subject.js
  EnvVarRequirement:
    envDef:
      FS_LICENSE: $(inputs.fs_license.path)
  InitialWorkDirRequirement:
    listing:
      - entryname: recon-all-stage.sh
        entry:
          $include: recon-all-stage.sh

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
    outdirMin: 4096
    tmpdirMin: 1024

# recon-all-stage.sh links the layers into a subject folder, runs recon-all without DEBUG
# in the environment, then copies in the files still linked (see the script).
baseCommand: [bash, recon-all-stage.sh]
arguments:
  - {position: -5, prefix: --subject, valueFrom: "$(inputs.layers[0].basename)"}
  - {position: -3, valueFrom: --complete}
  - {position: -2, valueFrom: "$(besideArgs(inputs))"}
  - {position: -1, valueFrom: "--"}
  - {prefix: -sd, valueFrom: $(runtime.outdir)}
  # -s <subject>, or -base <template> -tp ..., or -long <timepoint> <template>
  - {valueFrom: "$(reconAllSubject(inputs))"}
  - -curvstats
  - -cortribbon
  - -cortparc2
  - -cortparc3
  - -pctsurfcon
  - -hyporelabel
  - -apas2aseg
  - -aparc2aseg
  - -wmparc
  - -parcstats
  - -parcstats2
  - -parcstats3
  - -segstats
  - -balabels
  - {prefix: -openmp, valueFrom: $(runtime.cores)}

inputs:
  layers:
    type:
      type: array
      items: Directory
      inputBinding: {prefix: --layer}
    inputBinding: {position: -4}
    label: The layers of the earlier stages, in stage order (autorecon1, autorecon2-volume, lh, rh), read only
    doc: "cp -Rp <each layer> . (later layers replace earlier files); recon-all -s <layer basename>"
  t2pial:
    type: boolean
    default: false
    label: Refine the pial surfaces with the T2-weighted image imported by autorecon1
    doc: "recon-all -T2pial"
    inputBinding: {prefix: -T2pial}
  flairpial:
    type: boolean
    default: false
    label: Refine the pial surfaces with the FLAIR image imported by autorecon1
    doc: "recon-all -FLAIRpial"
    inputBinding: {prefix: -FLAIRpial}
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
  extra_steps:
    type: string[]?
    label: Further recon-all steps to run at the end, such as -qcache or -localGI
    doc: "recon-all ... -qcache"
    inputBinding: {position: 11}
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
  subject_dir:
    type: Directory
    label: The finished subject directory
    outputBinding: {glob: "$(inputs.layers[0].basename)"}
  aseg_stats:
    type: File
    label: stats/aseg.stats
    outputBinding: {glob: "$(inputs.layers[0].basename)/stats/aseg.stats"}
  wmparc_stats:
    type: File
    label: stats/wmparc.stats
    outputBinding: {glob: "$(inputs.layers[0].basename)/stats/wmparc.stats"}
  aparc_stats:
    type: File[]
    label: stats/?h.aparc*.stats (aparc, aparc.pial, aparc.a2009s, aparc.DKTatlas)
    outputBinding: {glob: "$(inputs.layers[0].basename)/stats/?h.aparc*.stats"}
  recon_all_log:
    type: File
    label: scripts/recon-all.log
    outputBinding: {glob: "$(inputs.layers[0].basename)/scripts/recon-all.log"}
