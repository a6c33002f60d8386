"""Globs as PostgreSQL regular expressions, for the warehouse that has no GLOB.

Definition filters are globs with DuckDB GLOB's meaning on every warehouse (dbt_project/README.md,
"Definition rules"). dbt's models translate them in SQL (dbt_project/macros/adapters/postgres.sql);
`dora define`'s preview, which queries the published history directly, translates them here, token
for token the same way. tests/test_glob_patterns.py holds both to DuckDB's GLOB.
"""

from __future__ import annotations

import re

# A glob's tokens: a bracket expression (`[`, an optional `!`, a first `]` taken literally, up to
# the next `]`), an escaped character, any other character: the tokens of the dbt macro.
TOKEN = re.compile(r"\[!\][^\]]*\]|\[![^\]]+\]|\[\][^\]]*\]|\[[^!\]][^\]]*\]|\\.|.", re.DOTALL)
BRACKET_ITEM = re.compile(r".-.|.", re.DOTALL)  # a range or one character
METACHARACTERS = re.compile(r"([.^$*+?()\[\]{}|\\-])")
BRACKET_METACHARACTERS = re.compile(r"([\]\[\\^-])")
MATCHES_NOTHING = "(?!)"


def glob_regex(pattern: str) -> str:
    """An anchored PostgreSQL regular expression matching what DuckDB's GLOB matches with `pattern`.

    `*` -> `.*`, `?` -> `.`, a bracket -> `[...]` / `[^...]` with its items escaped (a reversed
    range `z-a` matches nothing), anything else -> itself, escaped. An unclosed `[` or a trailing
    `\\` makes GLOB match nothing, and so does the result."""
    parts = []
    for token in TOKEN.findall(pattern):
        if token == "*":
            parts.append(".*")
        elif token == "?":
            parts.append(".")
        elif token in ("[", "\\"):
            return MATCHES_NOTHING
        elif len(token) > 2 and token[0] == "[":
            negated = token.startswith("[!")
            items = "".join(_bracket_item(item) for item in BRACKET_ITEM.findall(token[2 if negated else 1:-1]))
            if not items and not negated:
                return MATCHES_NOTHING
            parts.append(f"[^{items}]" if negated and items else "." if negated else f"[{items}]")
        else:
            parts.append(METACHARACTERS.sub(r"\\\1", token.removeprefix("\\")))
    return "^" + "".join(parts) + "$"


def _bracket_item(item: str) -> str:
    """A character or a range of a bracket expression, escaped; '' for a reversed range."""
    if len(item) == 3:
        first, last = item[0], item[2]
        return "" if ord(first) > ord(last) else f"{_bracket_escaped(first)}-{_bracket_escaped(last)}"
    return _bracket_escaped(item)


def _bracket_escaped(character: str) -> str:
    return BRACKET_METACHARACTERS.sub(r"\\\1", character)
