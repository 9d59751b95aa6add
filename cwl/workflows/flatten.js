// One level of nesting removed, [[a, b], [c]] -> [a, b, c]: the per-subject lists of the
// longitudinal cohort become one list per table (included by cohort-longitudinal.cwl).
function flatten(lists) {
  return lists.reduce(function (all, list) {
    return all.concat(list);
  }, []);
}

// The folder names of every subject's timepoints: cross-sectional (<tp>) or
// longitudinal (<tp>.long.<subject>), in the order of the flattened stats lists.
function timepointIds(subjects, longitudinal) {
  return flatten(subjects.map(function (subject) {
    return subject.timepoints.map(function (timepoint) {
      var id = timepoint.timepoint_id;
      return longitudinal ? id + ".long." + subject.subject_id : id;
    });
  }));
}
