"""schemathesis hooks for scripts/fuzz-api.sh: control characters where they hurt.

Strings generated from the schema rarely hold a NUL inside an otherwise well-formed body, yet
that is what reaches the database (PostgreSQL's text cannot hold NUL) and the checks on names.
So about half the generated JSON bodies get one of their strings spiked with NUL, another
control character, or a bidirectional override or isolate, at a position hypothesis picks (and
can shrink). The body keeps its shape, so it gets past parsing to the server's checks.
"""

import schemathesis
from hypothesis import strategies as st

TRICKY = ["\x00", "\x00", "\x00", "\x01", "\t", "\n", "\x1b", "\x7f", "\x85", "\u202e", "\u2066", "\u200f"]


def _string_paths(value, path=()):
    """Every string in a JSON value, as a path of keys and indexes."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _string_paths(item, path + (index,))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _string_paths(item, path + (key,))


def _spiked(value, path, char, at):
    if not path:
        cut = at % (len(value) + 1)
        return value[:cut] + char + value[cut:]
    head, rest = path[0], path[1:]
    if isinstance(value, list):
        return [_spiked(item, rest, char, at) if i == head else item for i, item in enumerate(value)]
    return {key: (_spiked(item, rest, char, at) if key == head else item) for key, item in value.items()}


@schemathesis.hook
def flatmap_body(context, body):
    paths = list(_string_paths(body)) if isinstance(body, (dict, list, str)) else []
    if not paths:
        return st.just(body)
    spiked = st.tuples(st.sampled_from(paths), st.sampled_from(TRICKY), st.integers(0, 64)).map(
        lambda choice: _spiked(body, *choice)
    )
    return st.one_of(st.just(body), spiked)
