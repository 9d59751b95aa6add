#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "recon-all autorecon3, both hemispheres: merge lh and rh, then ribbon, parcellations, stats"
doc: |
  Last recon-all stage. First the rh stage's files are added to the lh stage's subject
  directory (the hemisphere stages share everything else). Then it runs, in the order of
  recon-all -all: T2/FLAIR pial refinement (when asked), Curvature Stats, Cortical ribbon
  mask, Cortical Parc 2 and 3, WM/GM Contrast, Relabel Hypointensities, APas-to-ASeg,
  AParc-to-ASeg, WMParc, Parcellation Stats 1-3, ASeg Stats and BA_exvivo Labels.

  Equivalent commands:
    cp -P --parents <every file of rh that lh lacks> lh/<subject_id>/
    recon-all -sd lh -s <subject_id> [-T2pial | -FLAIRpial] -curvstats -cortribbon
              -cortparc2 -cortparc3 -pctsurfcon -hyporelabel -apas2aseg -aparc2aseg
              -wmparc -parcstats -parcstats2 -parcstats3 -segstats -balabels
              -openmp <cores> [-3T] [-hires] [-expert ...] [-qcache]

requirements:
  InlineJavascriptRequirement: {}
  EnvVarRequirement:
    envDef:
      FS_LICENSE: $(inputs.fs_license.path)
  InitialWorkDirRequirement:
    listing:
      - entry: $(inputs.lh_subject_dir)
        writable: true
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

# recon-all-stage.sh first adds the rh stage's files, then runs recon-all without DEBUG in
# the environment and keeps empty folders (see the script).
baseCommand: [bash, recon-all-stage.sh]
arguments:
  - {position: -4, valueFrom: --add-files-from}
  - {position: -3, valueFrom: $(inputs.rh_subject_dir.path)}
  - {position: -2, valueFrom: $(inputs.lh_subject_dir.basename)}
  - {position: -1, prefix: -sd, valueFrom: $(runtime.outdir)}
  - {position: -1, prefix: -s, valueFrom: $(inputs.lh_subject_dir.basename)}
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
  lh_subject_dir:
    type: Directory
    label: The subject directory from the lh hemisphere stage (copied, then updated)
    doc: "SUBJECTS_DIR=lh recon-all -s <subject_id> ..."
  rh_subject_dir:
    type: Directory
    label: The subject directory from the rh hemisphere stage (its rh files are added)
    doc: "cp -P --parents <rh files> lh/<subject_id>/"
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
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"


outputs:
  subject_dir:
    type: Directory
    label: The finished subject directory
    outputBinding: {glob: $(inputs.lh_subject_dir.basename)}
  aseg_stats:
    type: File
    label: stats/aseg.stats
    outputBinding: {glob: $(inputs.lh_subject_dir.basename)/stats/aseg.stats}
  wmparc_stats:
    type: File
    label: stats/wmparc.stats
    outputBinding: {glob: $(inputs.lh_subject_dir.basename)/stats/wmparc.stats}
  aparc_stats:
    type: File[]
    label: stats/?h.aparc*.stats (aparc, aparc.pial, aparc.a2009s, aparc.DKTatlas)
    outputBinding: {glob: "$(inputs.lh_subject_dir.basename)/stats/?h.aparc*.stats"}
  recon_all_log:
    type: File
    label: scripts/recon-all.log
    outputBinding: {glob: $(inputs.lh_subject_dir.basename)/scripts/recon-all.log}
