"""Which settings a source still needs, phrased so the CLI can tell the user what to set.

Settings live where dlt looks for them: `.dlt/secrets.toml` / `.dlt/config.toml` sections
`[sources.<source>]`, or environment variables `SOURCES__<SOURCE>__<KEY>`.
"""

from __future__ import annotations

import dlt

# Per source: groups of keys; a group is satisfied when any one of its keys is set.
REQUIRED: dict[str, list[tuple[str, ...]]] = {
    "github": [("access_token",), ("repositories", "owner")],
    "pagerduty": [("api_key",)],
    "gitlab": [("access_token",), ("projects", "group")],
    "jira": [("api_token",), ("base_url",), ("jql",)],
}
SECRET_KEYS = {"access_token", "api_key", "api_token"}


def missing_settings(source: str) -> list[str]:
    """Human-readable descriptions of the unset required settings of `source` (a key of
    REQUIRED); empty when the source is configured. Never includes any value."""
    if source not in REQUIRED:
        raise ValueError(f"unknown source {source!r}; expected one of {', '.join(REQUIRED)}")
    return [_describe(source, group) for group in REQUIRED[source] if not any(_is_set(source, key) for key in group)]


def _is_set(source: str, key: str) -> bool:
    provider = dlt.secrets if key in SECRET_KEYS else dlt.config
    return provider.get(f"sources.{source}.{key}") not in (None, "", [])


def _describe(source: str, keys: tuple[str, ...]) -> str:
    return " or ".join(f"sources.{source}.{key} (env {f'SOURCES__{source}__{key}'.upper()})" for key in keys)
