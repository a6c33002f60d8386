{#- release: a published release, deployed when published; drafts and prereleases never count.
    target_commitish is a branch or a commit sha. -#}
with

releases as (
    select * from {{ ref('stg_github__releases') }}
),

final as (
    select
        {{ candidate_columns('deployment', {
            'method': "'release'",
            'source_id': 'cast(release_id as varchar)',
            'repository': 'repository',
            'repository_id': 'repository_id',
            'branch': branch_of_ref('target_commitish'),
            'author': 'author',
            'title': 'release_name',
            'tag': 'tag_name',
            'commit_sha': 'case when ' ~ is_commit_sha('target_commitish') ~ ' then target_commitish end',
            'deployed_at': 'published_at',
            'url': 'url',
            'loaded_at': 'loaded_at',
        }) }}
    from releases
    where not coalesce(is_draft, false)
      and not coalesce(is_prerelease, false)
      and published_at is not null
)

select * from final
