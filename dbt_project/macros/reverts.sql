{#- Revert pull requests, as GitHub and git write them, and the pull request each one reverts.

    - GitHub's Revert button opens a pull request titled `Revert "<title of the reverted PR>"`
      from the branch `revert-<number of the reverted PR>-<its head branch>` (GitHub docs,
      "Reverting a pull request"; the branch name as cli/cli#14294 states it). Its body says
      `Reverts <owner>/<repo>#<number>`: bodies are not extracted, the branch carries the same
      number, and a branch renamed (rulesets) falls back to the title;
    - `git revert` titles a commit `Revert "<subject of the reverted commit>"`: for a merge commit
      the subject is `Merge pull request #<number> from …`, for a squash merge `<title> (#<number>)`.
    A revert is a pull request whose head branch is `revert-<number>-…` or whose title is
    `Revert "…"`. The reverted pull request is, in this order: the number in the branch, the
    number in a `Merge pull request #<number>` or `(#<number>)` title, else the pull request of
    the same repository with exactly the quoted title (the latest merged before the revert was
    opened; int_incident_candidates__revert). The regular expressions mean the same on every
    warehouse (macros/adapters: regex_full_match, regex_capture; `[^\n]` rather than `.`, which
    matches a newline on Postgres and not on DuckDB), tests/test_revert_titles.py. -#}
{% macro is_revert(title, head_ref) -%}
    ({{ full_match_after_prefix(head_ref, 'revert-', '[0-9]+-[^\\n]*') }}
     or {{ full_match_after_prefix(title, 'Revert "', '[^\\n]*"') }})
{%- endmacro %}

{#- Whether `value` (null read as '') is the literal `prefix` (no LIKE or regex metacharacters)
    followed by a full match of `regex`: the LIKE on the prefix rejects nearly every value before
    the regular expression runs (the revert candidates test every merged PR: DuckDB 0.17 s ->
    0.02 s at 2.58 M, Postgres 0.09 s -> 0.03 s at 258 k). -#}
{% macro full_match_after_prefix(value, prefix, regex) -%}
    (coalesce({{ value }}, '') like '{{ prefix }}%'
     and {{ regex_full_match('coalesce(' ~ value ~ ", '')", "'" ~ prefix ~ regex ~ "'") }})
{%- endmacro %}

{#- The number of the reverted pull request a revert names in its branch or title; null when it
    names none. -#}
{% macro reverted_number(title, head_ref) -%}
    cast(coalesce(
        {{ regex_capture(head_ref, "'^revert-([0-9]+)-'") }},
        {{ regex_capture(title, "'^Revert \"Merge pull request #([0-9]+) '") }},
        {{ regex_capture(title, "'^Revert \"[^\\n]*\\(#([0-9]+)\\)\"$'") }}
    ) as bigint)
{%- endmacro %}

{#- The quoted title of a `Revert "…"` title; null for any other title. -#}
{% macro reverted_title(title) -%}
    {{ regex_capture(title, "'^Revert \"([^\\n]*)\"$'") }}
{%- endmacro %}
