"""Which pull requests are reverts and which pull request each names (macros/reverts.sql), the same
on every warehouse: the regular expressions are read by DuckDB's RE2 and by Postgres.

Each case is worked out from the rules in macros/reverts.sql: a revert's head branch is
`revert-<number>-…` or its title `Revert "…"` (the whole title, case-sensitive); the number comes
from the branch, else from a `Merge pull request #<n> ` or a trailing `(#<n>)` inside the quotes;
the quoted title is what lies between the first `Revert "` and the last `"`.
"""

from __future__ import annotations

import pytest

from dbt_fixtures import DbtProjectCopy, engine_project, execute

# (title, head branch, is a revert, reverted number, quoted title)
CASES = [
    ('Revert "Add coupons"', "revert-12-coupons", True, 12, "Add coupons"),  # GitHub's Revert button
    ("Something", "revert-12-coupons", True, 12, None),  # the branch alone
    ('Revert "Add cache"', "undo-cache", True, None, "Add cache"),  # the title alone: found by title later
    ('Revert "Merge pull request #7 from acme/audit-log"', "undo-audit", True, 7,
     "Merge pull request #7 from acme/audit-log"),  # git revert of a merge commit
    ('Revert "Fix login (#31)"', "undo", True, 31, "Fix login (#31)"),  # git revert of a squash merge
    ('Revert "Fix (#3) and more (#45)"', "undo", True, 45, "Fix (#3) and more (#45)"),  # the trailing one
    ('Revert "Revert "Add x""', "revert-40-revert-12-x", True, 40, 'Revert "Add x"'),  # a revert of a revert
    ('Revert ""', "undo", True, None, None),  # an empty quoted title names nothing
    ("Add cart", "change-11", False, None, None),
    ('Reverting "x"', "feature", False, None, None),
    ('revert "lowercase"', "feature", False, None, None),  # case-sensitive
    ('Revert "Add x" again', "feature", False, None, None),  # the whole title
    ("Fix", "revert-abc", False, None, None),  # no number in the branch
    ('Revert "a\nb"', "feature", False, None, None),  # a line break is no title character
    (None, None, False, None, None),
]


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def project(request, tmp_path_factory) -> DbtProjectCopy:
    return engine_project(request, tmp_path_factory, "reverts")


def test_reverts_and_what_they_name(project):
    execute(project.warehouse, "create table cases (position integer, title varchar, head_ref varchar)")
    for position, (title, head_ref, *_) in enumerate(CASES):
        placeholder = project.warehouse.placeholder
        execute(project.warehouse, f"insert into cases values ({placeholder}, {placeholder}, {placeholder})",
                [position, title, head_ref])
    sql = project.compiled("""
        select title, head_ref, {{ is_revert('title', 'head_ref') }}, {{ reverted_number('title', 'head_ref') }},
               {{ reverted_title('title') }}
        from cases order by position""")
    assert execute(project.warehouse, sql) == CASES
