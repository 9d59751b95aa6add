#!/usr/bin/env cwl-runner
cwlVersion: v1.2
class: CommandLineTool

label: "Deliver a finished subject folder: each file copied and verified by SHA-256, then a receipt"
doc: |
  Copies the subject folder that recon-all finished (the subject_dir of workflows/subject.cwl)
  to <destination><subject_id>/ as soon as that subject is done, whatever the other
  subjects of the cohort do. Each object carries its SHA-256 in its metadata
  (x-amz-meta-sha256) and as S3's own checksum (x-amz-checksum-sha256, which S3 checks
  against the bytes it receives), and each upload is checked with HeadObject (size and
  SHA-256). Last, it writes the receipt <destination>logs/delivered/<subject_id>.json:
  every file's relative path, size and SHA-256, the total bytes and the seconds taken. A
  subject with a receipt is complete and verified; one without is not delivered, whatever
  objects its folder holds.

  A receipt already there for the subject that lists other files (another run's finished
  subject) stops the delivery before anything is written (exit status 3); one that lists
  the same files (a retried attempt) is kept, and only objects missing or damaged are
  uploaded again.

  Credentials come from boto3's default chain (on AWS Batch, the job role); none is an
  argument or an output. The destination may also be a local folder or a file:// URI (for
  tests without S3): there the SHA-256 is checked by reading each copy back. A relative
  folder is inside this tool's output folder and is also its output `delivered`.

  Equivalent commands:
    aws s3 cp --recursive <subject_dir> <destination><subject_id>/   (with the metadata)
    aws s3api head-object --bucket B --key <prefix><subject_id>/<file>   (for each file)
    aws s3api put-object --if-none-match '*' --key <prefix>logs/delivered/<subject_id>.json

requirements:
  InlineJavascriptRequirement: {}
  NetworkAccess:
    networkAccess: true
  InitialWorkDirRequirement:
    listing:
      - entryname: deliver_subject.py
        entry:
          $include: deliver_subject.py

# Python and boto3, not FreeSurfer: the project's own image (docker/build.sh), whose python3
# is the environment of fs-cwl and its dependencies; boto3 is the one that release carries.
hints:
  DockerRequirement:
    dockerPull: fs-cwl:0.1.0
  SoftwareRequirement:
    packages:
      fs-cwl:
        version: ["0.1.0"]
      boto3:
        specs: ["https://pypi.org/project/boto3/"]
  ResourceRequirement:
    coresMin: 1
    ramMin: 1024
    # The receipt only; the subject folder is staged as an input, as large as the
    # output of autorecon3.
    outdirMin: 64
    tmpdirMin: 4096

baseCommand: [python3, deliver_subject.py]
# The destination holds another delivery of this subject: trying again cannot help.
permanentFailCodes: [3]

inputs:
  subject_dir:
    type: Directory
    label: The finished subject folder (workflows/subject.cwl's subject_dir)
    doc: "$SUBJECTS_DIR/<subject_id>, as recon-all -all leaves it"
    inputBinding: {position: 1}
  subject_id:
    type: string
    label: Subject id (the folder name at the destination and the receipt's name)
    doc: "recon-all -s <subject_id>"
    inputBinding: {prefix: --subject-id}
  destination:
    type: string
    label: "Folder the subjects go to: s3://bucket/prefix/, file:///path/ or a local folder"
    doc: "s3://bucket/prefix/outputs/<run>/ (a missing trailing slash is added)"
    inputBinding: {prefix: --destination}

outputs:
  receipt:
    type: File
    label: "The receipt, as at <destination>logs/delivered/<subject_id>.json"
    outputBinding: {glob: $(inputs.subject_id).json}
  delivered:
    type: Directory?
    label: The destination folder when it is a relative local folder, else none
    outputBinding:
      glob: |
        ${
          var d = inputs.destination;
          // A URI (s3://, file://) or an absolute folder is outside the output folder.
          if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(d) || d.charAt(0) == "/") {
            return [];
          }
          return d.replace(/\/+$/, "");
        }
