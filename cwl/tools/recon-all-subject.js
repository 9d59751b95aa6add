// Which subject a recon-all stage works on, and which finished folders it only reads:
// included by the stage tools (InlineJavascriptRequirement expressionLib).
//
// A stage's subject is the folder of its layers. With `template` given it is a
// longitudinal run, named <timepoint>.long.<template>; with only `timepoints` given it is
// the within-subject template (the base); else a cross-sectional subject.

function reconAllSubject(inputs) {
  var id = inputs.layers[0].basename;
  if (inputs.template) {
    var suffix = ".long." + inputs.template.basename;
    return ["-long", id.slice(0, id.length - suffix.length), inputs.template.basename];
  }
  if (inputs.timepoints) {
    return ["-base", id].concat(timepointArgs(inputs.timepoints));
  }
  return ["-s", id];
}

// recon-all -base <template> -tp <tp1> -tp <tp2> ...
function timepointArgs(timepoints) {
  var args = [];
  timepoints.forEach(function (timepoint) {
    args.push("-tp", timepoint.basename);
  });
  return args;
}

// The finished folders recon-all reads next to the subject (every timepoint's
// cross-sectional folder, and the template), for recon-all-stage.sh --beside.
function besideArgs(inputs) {
  var folders = (inputs.timepoints || []).concat(inputs.template ? [inputs.template] : []);
  var args = [];
  folders.forEach(function (folder) {
    args.push("--beside", folder.path);
  });
  return args;
}
