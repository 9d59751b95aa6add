"""The block-style YAML writer of job orders: whatever it writes reads back unchanged."""

from __future__ import annotations

import io
import math
import random
from collections.abc import Callable
from typing import Any

import pytest
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


def dumped(data: dict[str, object]) -> str:
    stream = io.StringIO()
    block_yaml.dump(data, stream)
    return stream.getvalue()


def loaders() -> list[tuple[str, Callable[[str], Any]]]:
    """Every YAML loader at hand: ruamel's (1.2) pure and C, PyYAML's (1.1), cwltool's."""
    found: list[tuple[str, Callable[[str], Any]]] = [
        ("ruamel pure", YAML(typ="safe", pure=True).load),
        ("ruamel C", YAML(typ="safe").load),
    ]
    try:
        import yaml  # PyYAML, when installed: the YAML 1.1 reading
    except ImportError:
        pass
    else:
        found.append(("PyYAML", lambda text: yaml.load(text, Loader=yaml.SafeLoader)))
        if hasattr(yaml, "CSafeLoader"):
            found.append(("PyYAML C", lambda text: yaml.load(text, Loader=yaml.CSafeLoader)))
    try:
        from schema_salad.utils import yaml_no_ts  # the loader cwltool reads job orders with
    except ImportError:
        pass
    else:
        found.append(("cwltool", yaml_no_ts().load))
    return found


#: Texts YAML reads as something else, or that break a line, a quote or an escape.
ODD_TEXTS = [
    *("", " ", "  lead", "trail ", "'", '"', "\\", "\\n", "''", '""', "a'b\"c"),
    *(":", "a: b", "a:b", "key:", "- x", "-", "--", "---", "...", "? q", "[1]", "{a: 1}"),
    *("#", "a #b", "#!x", "&anchor", "*alias", "!tag", "!!str", "%YAML", "@", "`", "|", ">"),
    *("001", "0x1F", "0o17", "1_000", "1:20", "1e3", "1e+20", ".5", "+1", "-0", ".inf", ".NaN"),
    *("yes", "No", "on", "OFF", "y", "n", "true", "False", "null", "NULL", "~", "<<", "="),
    *("2024-01-01", "12:30:00", "\t", "a\tb", "\n", "a\nb", "a\n\nb\n", "\r\n", "\r"),
    *("\x00", "\x07", "\x1b[0m", "\x7f", "\x85", "\xa0", "\u2028", "\u2029", "\ufeff"),
    *("\ufffe", "\uffff", "\U0001f600", "a\U0010ffffb", "ü", "日本語", "\u200b", "e\u0301"),
]
PIECES = [text for text in ODD_TEXTS if text] + ["x", "sub-01", "/", ".", "0"]


def odd_texts(count: int, seed: int = 20261202) -> list[str]:
    """The odd texts, and ``count`` more made of random runs of their pieces."""
    rng = random.Random(seed)
    made = ["".join(rng.choices(PIECES, k=rng.randint(1, 6))) for _ in range(count)]
    return [*ODD_TEXTS, *made]


@pytest.mark.parametrize(("name", "load"), loaders(), ids=[name for name, _ in loaders()])
def test_every_odd_text_reads_back_as_value_and_as_key(
    name: str, load: Callable[[str], Any]
) -> None:
    texts = odd_texts(500)
    data: dict[str, object] = {
        "values": texts,
        "keys": {text: i for i, text in enumerate(texts)},
        "nested": [{text: [text]} for text in texts[:50]],
    }
    read = load(dumped(data))
    assert read["values"] == texts, name
    assert read["keys"] == data["keys"], name
    assert read["nested"] == data["nested"], name


@pytest.mark.parametrize(("name", "load"), loaders(), ids=[name for name, _ in loaders()])
def test_numbers_and_keywords_read_back_with_every_loader(
    name: str, load: Callable[[str], Any]
) -> None:
    numbers = [0, -1, 2**70, 0.5, -0.0, 1e20, 1e-5, 1.5e300, 5e-324, 123456789.125]
    keys = ["null", "Null", "NULL", "true", "True", "False", "yes", "Yes", "no", "No"]
    keys += ["on", "On", "off", "y", "Y", "n", "N", "~", "plain_key", "_x"]
    read = load(dumped({"numbers": numbers, "keys": {key: key for key in keys}}))
    assert read["numbers"] == numbers, name
    # A float as a float, not as text (YAML 1.1 reads 1e+20 as text); cwltool's are subclasses.
    assert all(isinstance(a, type(b)) for a, b in zip(read["numbers"], numbers, strict=True))
    assert read["keys"] == {key: key for key in keys}, name


@pytest.mark.parametrize(("name", "load"), loaders(), ids=[name for name, _ in loaders()])
def test_nan_and_infinities(name: str, load: Callable[[str], Any]) -> None:
    read = load(dumped({"values": [math.nan, math.inf, -math.inf]}))["values"]
    assert math.isnan(read[0]) and read[1:] == [math.inf, -math.inf], name


def test_non_bmp_text_is_written_as_itself() -> None:
    text = dumped({"face": "\U0001f600", "control": "\x01\x85"})
    assert text == 'face: "\U0001f600"\ncontrol: "\\u0001\\u0085"\n'


def test_floats_are_written_for_yaml_1_1_and_1_2() -> None:
    text = dumped({"a": 1e20, "b": 1e-5, "c": math.nan, "d": math.inf, "e": -math.inf})
    assert text == "a: 1.0e+20\nb: 1.0e-05\nc: .nan\nd: .inf\ne: -.inf\n"


def test_keywords_as_keys_are_quoted() -> None:
    assert dumped({"null": 1, "On": 2, "~": 3, "nullable": 4}) == (
        '"null": 1\n"On": 2\n"~": 3\nnullable: 4\n'
    )


@pytest.mark.parametrize(
    "data", [{"b": b"bytes"}, {"b": [bytearray(b"x")]}, {"b": memoryview(b"x")}, {1: "x"}]
)
def test_bytes_and_non_text_keys_are_refused(data: dict[Any, object]) -> None:
    with pytest.raises(TypeError, match="cannot write"):
        dumped(data)
