"""Write plain data (mappings, lists, text, numbers, true/false) as block-style YAML, fast.

A job order of 10,000 subjects is 100,000 values: ruamel's representer takes seconds for
them (its tags cost more than the emitting), this takes a tenth of one. Every text is
written double-quoted, every key that a YAML 1.1 or 1.2 loader could read as anything but
that text too, and numbers in the form both read as numbers, so any text, number and
true/false reads back unchanged with either (PyYAML is 1.1, ruamel and cwltool 1.2).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import IO, TypeGuard

#: Keys written without quotes: names as CWL inputs and record fields have them...
PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
#: ...but for the words YAML 1.1 reads as true/false or null (1.2 a few of them), in any case.
KEYWORDS = frozenset(("null", "true", "false", "yes", "no", "on", "off", "y", "n"))
#: Characters written as they are inside double quotes: YAML's printable characters but the
#: quote, the backslash, and those a loader would fold or drop (line breaks U+0085, U+2028,
#: U+2029, the byte order mark U+FEFF); every other one is escaped.
NEEDS_ESCAPE = re.compile(
    r"[^\x20\x21\x23-\x5b\x5d-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd"
    r"\U00010000-\U0010ffff]"
)
SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def dump(data: Mapping[str, object], stream: IO[str]) -> None:
    """Write the mapping ``data`` to ``stream`` as block-style YAML (UTF-8 text)."""
    stream.write("".join(_mapping(data, "")) if data else "{}\n")


def quote(text: str) -> str:
    """``text`` as a YAML double-quoted scalar: a non-ASCII character as itself (as UTF-8,
    not as JSON's surrogate pairs, which YAML loaders do not join), the others escaped."""
    return f'"{NEEDS_ESCAPE.sub(_escape, text)}"'


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    short = SHORT_ESCAPES.get(char)
    if short:
        return short
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _float(value: float) -> str:
    """``value`` as YAML 1.1 and 1.2 both read it: ``.nan``, ``.inf``, ``1.0e+20``."""
    if math.isnan(value):
        return ".nan"
    if math.isinf(value):
        return ".inf" if value > 0 else "-.inf"
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    # YAML 1.1 reads a number as a float only with a dot (1e+20 is text there).
    if e and "." not in mantissa:
        return f"{mantissa}.0e{exponent}"
    return text


def _scalar(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, str):
        return quote(value)
    raise TypeError(f"cannot write a {type(value).__name__} as a YAML scalar")


def _key(key: object) -> str:
    if not isinstance(key, str):
        raise TypeError(f"cannot write a {type(key).__name__} key; job order keys are text")
    if PLAIN_KEY.match(key) and key.lower() not in KEYWORDS:
        return key
    return quote(key)


def _is_list(value: object) -> TypeGuard[Sequence[object]]:
    """Whether ``value`` is written as a YAML list; bytes are refused, not written as one."""
    if isinstance(value, bytes | bytearray | memoryview):
        raise TypeError(f"cannot write {type(value).__name__} as YAML; decode them to text")
    return isinstance(value, Sequence) and not isinstance(value, str)


def _mapping(data: Mapping[str, object], indent: str) -> list[str]:
    lines = []
    for key, value in data.items():
        lines.append(f"{indent}{_key(key)}:")
        lines.extend(_value(value, indent + "  ", indent))
    return lines


def _value(value: object, indent: str, list_indent: str) -> list[str]:
    """``value`` after a ``key:`` or ``-`` already written: on that line, or nested below it
    (a mapping's keys at ``indent``, a list's dashes at ``list_indent``)."""
    if isinstance(value, Mapping):
        return ["\n", *_mapping(value, indent)] if value else [" {}\n"]
    if _is_list(value):
        return ["\n", *_sequence(value, list_indent)] if value else [" []\n"]
    return [f" {_scalar(value)}\n"]


def _sequence(items: Sequence[object], indent: str) -> list[str]:
    lines = []
    for item in items:
        if isinstance(item, Mapping) and item:
            # The item's first key on the dash's line, the others below it.
            nested = _mapping(item, indent + "  ")
            lines.extend([f"{indent}- {nested[0].lstrip()}", *nested[1:]])
        else:
            lines.append(f"{indent}-")
            lines.extend(_value(item, indent + "  ", indent + "  "))
    return lines
