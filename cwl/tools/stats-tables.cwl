#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "Group tables: asegstats2table, aparcstats2table and a QC table of Euler numbers"
doc: |
  Builds the tables a study needs from the stats folders of finished subjects:
  aseg volumes, cortical thickness, area and volume of the aparc, aparc.a2009s and
  aparc.DKTatlas parcellations for both hemispheres, and a per-subject QC table with
  the Euler numbers of the surfaces before topology fixing (2 - 2 x surface holes, from
  aseg.stats) and the total volumes. All tables are tab-separated, one row per subject.
  FreeSurfer's table scripts need no license.

  Equivalent commands (SUBJECTS_DIR holding the subjects):
    asegstats2table --subjects s1 s2 ... --meas volume --tablefile aseg.volume.tsv
    aparcstats2table --subjects s1 s2 ... --hemi lh --parc aparc --meas thickness \
                     --tablefile lh.aparc.thickness.tsv        (and rh, a2009s, DKTatlas,
                                                                area, volume)

requirements:
  InlineJavascriptRequirement: {}
  InitialWorkDirRequirement:
    listing:
      - entryname: stats-tables.sh
        entry:
          $include: stats-tables.sh
      - entryname: qc_table.py
        entry:
          $include: qc_table.py

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
    ramMin: 1024
    outdirMin: 256
    tmpdirMin: 256

# stats-tables.sh lays the stats files out as the table scripts expect, runs them, and
# qc_table.py writes qc.tsv (see the scripts).
baseCommand: [bash, stats-tables.sh]
arguments:
  # Each subject's id, then its stats files.
  - valueFrom: |
      ${
        return inputs.subject_ids.map(function(id, i) {
          var files = [inputs.aseg_stats[i], inputs.wmparc_stats[i]].concat(inputs.aparc_stats[i]);
          return ["--subject", id].concat(files.map(function(f) { return f.path; }));
        }).reduce(function(all, args) { return all.concat(args); }, []);
      }

inputs:
  subject_ids:
    type: string[]
    label: Subject ids (each one a row of every table)
    doc: "asegstats2table --subjects s1 s2 ..."
  aseg_stats:
    type: File[]
    label: Each subject's stats/aseg.stats, in the order of subject_ids
    doc: "$SUBJECTS_DIR/<subject>/stats/aseg.stats"
  wmparc_stats:
    type: File[]
    label: Each subject's stats/wmparc.stats, in the order of subject_ids
    doc: "$SUBJECTS_DIR/<subject>/stats/wmparc.stats"
  aparc_stats:
    type:
      type: array
      items:
        type: array
        items: File
    label: Each subject's stats/?h.aparc*.stats, in the order of subject_ids
    doc: "$SUBJECTS_DIR/<subject>/stats/lh.aparc.stats ..."

outputs:
  tables:
    type: Directory
    label: "group/: aseg.volume.tsv, wmparc.volume.tsv, <hemi>.<parc>.<measure>.tsv, qc.tsv"
    outputBinding: {glob: group}
  qc_table:
    type: File
    label: "group/qc.tsv: Euler numbers and total volumes per subject"
    outputBinding: {glob: group/qc.tsv}
