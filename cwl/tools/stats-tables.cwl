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
      - entryname: stats_tables.sh
        entry: |
          # usage: bash stats_tables.sh --subject ID STATS_FILE... [--subject ID STATS_FILE...]
          set -eu
          # The layout the table scripts expect: $SUBJECTS_DIR/<subject>/stats/<file>.
          export SUBJECTS_DIR=$PWD/subjects
          ids=""
          subject=""
          while [ "$#" -gt 0 ]; do
            if [ "$1" = "--subject" ]; then
              subject=$2
              ids="$ids $2"
              mkdir -p "subjects/$subject/stats"
              shift 2
            else
              ln -s "$1" "subjects/$subject/stats/"
              shift
            fi
          done
          # Subject ids are safe folder names, so word splitting is safe here.
          set -- $ids
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
