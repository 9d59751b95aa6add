#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "recon-all -all: the whole FreeSurfer cortical reconstruction in one job"
doc: |
  For sites that prefer one job per subject: every step of recon-all -all, with the
  pial surfaces refined by a T2-weighted or FLAIR image when one is given. The staged
  workflow (workflows/subject.cwl) runs the same steps with both hemispheres in parallel.

  Equivalent command:
    recon-all -sd . -s <subject_id> -i T1_1.nii.gz [-i T1_2.nii.gz] [-T2 T2.nii.gz -T2pial]
              -all -openmp <cores> [-3T] [-hires] [-expert opts.txt -xopts-overwrite]

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
    coresMin: 2
    ramMin: 8192
    outdirMin: 4096
    tmpdirMin: 1024

# recon-all-stage.sh runs recon-all without DEBUG in the environment and keeps empty
# folders (see the script).
baseCommand: [bash, recon-all-stage.sh]
arguments:
  - {prefix: -sd, valueFrom: $(runtime.outdir)}
  - -all
  - {prefix: -openmp, valueFrom: $(runtime.cores)}
  - valueFrom: '$(inputs.t2w ? "-T2pial" : null)'
  - valueFrom: '$(inputs.flair ? "-FLAIRpial" : null)'

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
    doc: "recon-all -T2 T2.nii.gz -T2pial"
    inputBinding: {prefix: -T2}
  flair:
    type: File?
    label: FLAIR image for pial surface refinement
    doc: "recon-all -FLAIR FLAIR.nii.gz -FLAIRpial"
    inputBinding: {prefix: -FLAIR}
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
  fs_license:
    type: File
    label: FreeSurfer license file
    doc: "export FS_LICENSE=license.txt (read by every FreeSurfer binary; never logged)"


outputs:
  subject_dir:
    type: Directory
    label: The finished subject directory
    outputBinding: {glob: $(inputs.subject_id)}
  aseg_stats:
    type: File
    label: stats/aseg.stats
    outputBinding: {glob: $(inputs.subject_id)/stats/aseg.stats}
  wmparc_stats:
    type: File
    label: stats/wmparc.stats
    outputBinding: {glob: $(inputs.subject_id)/stats/wmparc.stats}
  aparc_stats:
    type: File[]
    label: stats/?h.aparc*.stats (aparc, aparc.pial, aparc.a2009s, aparc.DKTatlas)
    outputBinding: {glob: "$(inputs.subject_id)/stats/?h.aparc*.stats"}
  recon_all_log:
    type: File
    label: scripts/recon-all.log
    outputBinding: {glob: $(inputs.subject_id)/scripts/recon-all.log}
