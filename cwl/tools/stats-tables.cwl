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
      # subjects/<id>/stats: the layout asegstats2table expects under SUBJECTS_DIR.
      - |
        ${
          return [{
            "class": "Directory",
            "basename": "subjects",
            "listing": inputs.stats_dirs.map(function(dir, i) {
              return {"class": "Directory", "basename": inputs.subject_ids[i], "listing": [dir]};
            })
          }];
        }
      - entryname: stats_tables.sh
        entry: |
          # usage: bash stats_tables.sh SUBJECT_ID...
          set -eu
          export SUBJECTS_DIR=$PWD/subjects
          scripts=$FREESURFER_HOME/python/scripts
          mkdir -p group
          fspython "$scripts/asegstats2table" --subjects "$@" --meas volume \
            --tablefile group/aseg.volume.tsv
          fspython "$scripts/asegstats2table" --subjects "$@" --meas volume \
            --stats wmparc.stats --tablefile group/wmparc.volume.tsv
          for hemi in lh rh; do
            for parc in aparc aparc.a2009s aparc.DKTatlas; do
              for meas in thickness area volume; do
                fspython "$scripts/aparcstats2table" --subjects "$@" --hemi "$hemi" \
                  --parc "$parc" --meas "$meas" --tablefile "group/$hemi.$parc.$meas.tsv"
              done
            done
          done
          fspython euler_qc.py "$SUBJECTS_DIR" "$@" > group/qc.tsv
      - entryname: euler_qc.py
        entry: |
          """Write the per-subject QC table (TSV on stdout) from each subject's aseg.stats."""
          import sys

          MEASURES = {
              "lhSurfaceHoles": "lh_holes",
              "rhSurfaceHoles": "rh_holes",
              "EstimatedTotalIntraCranialVol": "eTIV",
              "BrainSeg": "BrainSegVol",
              "TotalGray": "TotalGrayVol",
              "CerebralWhiteMatter": "CerebralWhiteMatterVol",
          }
          COLUMNS = ["subject", "lh_euler", "rh_euler", "mean_euler", "eTIV",
                     "BrainSegVol", "TotalGrayVol", "CerebralWhiteMatterVol"]


          def read_measures(path):
              found = {}
              with open(path) as stats:
                  for line in stats:
                      if line.startswith("# Measure "):
                          fields = [f.strip() for f in line[len("# Measure "):].split(",")]
                          if fields[0] in MEASURES:
                              found[MEASURES[fields[0]]] = float(fields[3])
              return found


          def main(subjects_dir, subjects):
              print("\t".join(COLUMNS))
              for subject in subjects:
                  m = read_measures("%s/%s/stats/aseg.stats" % (subjects_dir, subject))
                  # Euler number of a surface with h holes (handles) is 2 - 2h.
                  lh = 2 - 2 * int(m["lh_holes"])
                  rh = 2 - 2 * int(m["rh_holes"])
                  row = [subject, lh, rh, (lh + rh) / 2.0] + [
                      "%.1f" % m[c] for c in COLUMNS[4:]]
                  print("\t".join(str(v) for v in row))


          main(sys.argv[1], sys.argv[2:])

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

baseCommand: [bash, stats_tables.sh]

inputs:
  subject_ids:
    type: string[]
    label: Subject ids, in the order of stats_dirs
    doc: "asegstats2table --subjects s1 s2 ..."
    inputBinding: {position: 1}
  stats_dirs:
    type: Directory[]
    label: Each subject's stats folder (<subject>/stats)
    doc: "$SUBJECTS_DIR/<subject>/stats"

outputs:
  tables:
    type: Directory
    label: "group/: aseg.volume.tsv, wmparc.volume.tsv, <hemi>.<parc>.<measure>.tsv, qc.tsv"
    outputBinding: {glob: group}
  qc_table:
    type: File
    label: "group/qc.tsv: Euler numbers and total volumes per subject"
    outputBinding: {glob: group/qc.tsv}
