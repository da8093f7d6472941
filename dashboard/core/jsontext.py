"""JSON text exactly as `json.JSONEncoder(...).encode` writes it, for the hot paths (issue #15).

`JSONEncoder.encode` is a thin Python wrapper: at every call it builds a closure and a new C
encoder (`json.encoder.c_make_encoder`) before the C code runs. For the check code of every
assessment, and every record `assess` writes, that set-up costs about as much as encoding the
few hundred bytes itself. `encoder(**options)` gives a function with the same result as
`json.JSONEncoder(**options).encode` (the same C encoder, made with the options the standard
library itself passes it), made once; without the C encoder (another Python) it is
`JSONEncoder.encode` itself. tests/test_jsontext.py proves them equal on any JSON value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json import encoder as _std
from typing import Any


def encoder(**options: Any) -> Callable[[Any], str]:
    """`json.JSONEncoder(**options).encode`, byte for byte (options: those of JSONEncoder
    except `indent`, which always takes the Python encoder)."""
    if "indent" in options:
        raise ValueError("indented JSON is written by json.JSONEncoder itself")
    reference = json.JSONEncoder(**options)
    make = getattr(_std, "c_make_encoder", None)  # the C accelerator (CPython: _json)
    if make is None:  # no C accelerator: the standard library's own Python encoder
        return reference.encode
    # the encoder's own attributes (JSONEncoder.__init__ works out separators and default)
    strings = _std.encode_basestring_ascii if reference.ensure_ascii else \
        _std.encode_basestring
    settings = (reference.default, strings, None, reference.key_separator,
                reference.item_separator, reference.sort_keys, reference.skipkeys,
                reference.allow_nan)

    if reference.check_circular:
        # the markers dict is the C encoder's memory of open containers: a new one each call
        # (an encoding stopped by an error could leave entries in a shared one)
        def encode(o: Any) -> str:
            if isinstance(o, str):  # as JSONEncoder.encode: a string alone
                return strings(o)
            return "".join(make({}, *settings)(o, 0))
    else:
        once = make(None, *settings)

        def encode(o: Any) -> str:
            if isinstance(o, str):
                return strings(o)
            return "".join(once(o, 0))

    encode.__doc__ = f"json.JSONEncoder({options!r}).encode, with the C encoder made once"
    return encode
