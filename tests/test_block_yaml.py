"""The block-style YAML writer of job orders: whatever it writes reads back unchanged."""

from __future__ import annotations

import io

from ruamel.yaml import YAML

from fs_cwl_runner import block_yaml

DATA = {
    "three_tesla": True,
    "hires": False,
    "count": 3,
    "ratio": 0.5,
    "unset": None,
    "none": [],
    "empty": {},
    "key: with colon": "a: b # not a comment",
    "yes": "yes",
    "id": "0012",
    "fs_license": {"class": "File", "location": "file:///data/x%20y/\u00fc\"q'\n"},
    "extra_flags": ["-qcache", "-cw256"],
    "nested": [[1, [2]], [{"a": 1}], {"k": [True, {"deep": []}]}],
    "subjects": [
        {"subject_id": f"sub-{i}", "t1w": [{"class": "File", "location": f"file:///s{i}"}]}
        for i in range(3)
    ],
}


def test_round_trip_with_both_parsers() -> None:
    stream = io.StringIO()
    block_yaml.dump(DATA, stream)
    text = stream.getvalue()
    assert YAML(typ="safe", pure=True).load(text) == DATA
    assert YAML(typ="safe").load(text) == DATA
    assert text.startswith("three_tesla: true\nhires: false\n")
    assert '- subject_id: "sub-0"\n  t1w:\n  - class: "File"\n' in text
