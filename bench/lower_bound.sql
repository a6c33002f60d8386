-- The lower bound for transformation: the five marts computed by one hand-written DuckDB script
-- straight from the raw tables, for the benchmark's definitions (bench/transformation.py:
-- deploy workflow runs on main pushed and successful, successful production GitHub deployments,
-- every PagerDuty incident, services.csv mapping `acme/<product>-*` and PagerDuty service
-- <product> to service <product>). No views, no durable history, no tests, no generic filters:
-- what dbt's marts would cost if nothing else had to be paid for. the parameter window_end is the start of
-- the summary windows' end day.
create schema if not exists lower_bound;

create or replace temp table services as
select row_number() over () as line, * from read_csv($services_csv, header = true, all_varchar = true);

create or replace temp table deployments_mapped as
with candidates as (
    select 'workflow_run:' || id as deployment_id, 'workflow_run' as method, repository, head_branch as branch,
           null::varchar as environment, head_sha as commit_sha,
           cast(timezone('UTC', updated_at) as timestamp) as deployed_at, html_url as url
    from raw_github.workflow_runs
    where status = 'completed' and workflow_name = 'deploy' and head_branch = 'main' and event = 'push'
      and conclusion = 'success'
    union all
    select 'github_deployment:' || id, 'github_deployment', repository, ref, environment, sha,
           cast(timezone('UTC', first_success.created_at) as timestamp), first_success.log_url
    from (
        -- a deployment counts at its first success, whatever followed (GitHub marks it inactive later)
        select *, list_min(list_filter(
                      from_json(statuses, '[{"created_at": "timestamptz", "state": "varchar", "log_url": "varchar"}]'),
                      lambda s: s.state = 'success')) as first_success
        from raw_github.deployments
    )
    where environment = 'production' and first_success is not null
)
select candidates.*, coalesce(services.service, candidates.repository) as service, services.team
from candidates
left join services on candidates.repository glob services.repository;

create or replace temp table merged_prs as
select id as pull_request_id, repository, number as pr_number, title, author, base_ref, html_url as url,
       merge_commit_sha,
       cast(timezone('UTC', first_commit_at) as timestamp) as first_commit_at,
       cast(timezone('UTC', created_at) as timestamp) as opened_at,
       cast(timezone('UTC', merged_at) as timestamp) as merged_at
from raw_github.pull_requests
where merged_at is not null;

create or replace temp table shipped as
with deployed_merges as (
    select deployments_mapped.deployment_id, max(merged_prs.merged_at) as merged_at
    from deployments_mapped
    join merged_prs on deployments_mapped.repository = merged_prs.repository
        and deployments_mapped.commit_sha = merged_prs.merge_commit_sha
    group by all
),
cutoffs as (
    select deployments_mapped.*, coalesce(deployed_merges.merged_at, deployed_at) as cutoff,
           row_number() over (partition by repository order by deployed_at, deployments_mapped.deployment_id) = 1
               as is_baseline
    from deployments_mapped left join deployed_merges using (deployment_id)
),
frontier as (
    select * from (
        select *, max(cutoff) over (partition by repository order by deployed_at, deployment_id
                                    rows between unbounded preceding and 1 preceding) as earlier_cutoff
        from cutoffs
    )
    where earlier_cutoff is null or cutoff > earlier_cutoff
)
select merged_prs.pull_request_id, frontier.deployment_id
from merged_prs
asof join frontier on merged_prs.repository = frontier.repository and merged_prs.merged_at <= frontier.cutoff
where not frontier.is_baseline;

create or replace temp table incidents_mapped as
select 'pagerduty:' || id as incident_id, coalesce(services.service, incidents.service_name) as service,
       coalesce(services.team, from_json(incidents.teams, '["varchar"]')[1]) as team,
       title, urgency, priority, html_url as url,
       cast(timezone('UTC', created_at) as timestamp) as created_at,
       cast(timezone('UTC', resolved_at) as timestamp) as resolved_at
from raw_pagerduty.incidents as incidents
left join services on incidents.service_name glob services.pagerduty_service
where created_at is not null;

create or replace temp table attributed as
select incidents_mapped.incident_id, deployments_mapped.deployment_id, deployments_mapped.deployed_at
from incidents_mapped
asof join deployments_mapped on incidents_mapped.service = deployments_mapped.service
    and incidents_mapped.created_at >= deployments_mapped.deployed_at
where epoch(incidents_mapped.created_at) - epoch(deployments_mapped.deployed_at) <= 168 * 3600;

create or replace table lower_bound.deployments as
select deployments_mapped.*, coalesce(counts.n, 0) > 0 as is_failed, coalesce(counts.n, 0) as incident_count
from deployments_mapped
left join (select deployment_id, count(*) as n from attributed group by all) as counts using (deployment_id);

create or replace table lower_bound.changes as
select cast(merged_prs.pull_request_id as varchar) as change_id, d.service, d.team, merged_prs.repository,
       merged_prs.pr_number, merged_prs.title, merged_prs.author, merged_prs.base_ref, merged_prs.url,
       merged_prs.first_commit_at, merged_prs.opened_at, merged_prs.merged_at, d.deployment_id, d.deployed_at,
       case when d.deployed_at >= first_commit_at then (epoch(d.deployed_at) - epoch(first_commit_at)) / 3600.0 end
           as lead_time_hours
from shipped
join merged_prs using (pull_request_id)
join deployments_mapped as d using (deployment_id);

create or replace table lower_bound.incidents as
select incidents_mapped.*, attributed.deployment_id,
       case when resolved_at >= created_at then (epoch(resolved_at) - epoch(created_at)) / 3600.0 end
           as time_to_restore_hours,
       case when resolved_at >= attributed.deployed_at
            then (epoch(resolved_at) - epoch(attributed.deployed_at)) / 3600.0 end as recovery_from_deployment_hours
from incidents_mapped left join attributed using (incident_id);

create or replace temp table scoped_deployments as
select 'org' as scope, 'org' as scope_name, * from lower_bound.deployments
union all select 'team', team, * from lower_bound.deployments where team is not null
union all select 'service', service, * from lower_bound.deployments;

create or replace temp table scoped_changes as
select 'org' as scope, 'org' as scope_name, * from lower_bound.changes
union all select 'team', team, * from lower_bound.changes where team is not null
union all select 'service', service, * from lower_bound.changes;

create or replace temp table scoped_incidents as
select 'org' as scope, 'org' as scope_name, * from lower_bound.incidents
union all select 'team', team, * from lower_bound.incidents where team is not null
union all select 'service', service, * from lower_bound.incidents;

create or replace table lower_bound.dora_weekly as
with d as (
    select scope, scope_name, cast(date_trunc('week', deployed_at) as date) as week_start, count(*) as deployments,
           count(distinct cast(deployed_at as date)) as deployment_days,
           count(*) filter (where is_failed) as failed_deployments
    from scoped_deployments group by all
),
c as (
    select scope, scope_name, cast(date_trunc('week', deployed_at) as date) as week_start, count(*) as changes,
           quantile_cont(lead_time_hours, 0.5) as lead_time_median_hours,
           quantile_cont(lead_time_hours, 0.9) as lead_time_p90_hours
    from scoped_changes group by all
),
i as (
    select scope, scope_name, cast(date_trunc('week', created_at) as date) as week_start, count(*) as incidents,
           quantile_cont(time_to_restore_hours, 0.5) as time_to_restore_median_hours,
           quantile_cont(recovery_from_deployment_hours, 0.5) as recovery_from_deployment_median_hours
    from scoped_incidents group by all
),
weeks as (
    select scope, scope_name, cast(unnest(generate_series(cast(min(week_start) as timestamp),
                                                          cast(max(week_start) as timestamp), interval 7 day)) as date)
               as week_start
    from (select scope, scope_name, week_start from d union select scope, scope_name, week_start from c
          union select scope, scope_name, week_start from i)
    group by scope, scope_name
)
select weeks.*, coalesce(d.deployments, 0) as deployments, coalesce(d.deployment_days, 0) as deployment_days,
       coalesce(c.changes, 0) as changes, c.lead_time_median_hours, c.lead_time_p90_hours,
       coalesce(d.failed_deployments, 0) as failed_deployments, d.failed_deployments / d.deployments as change_failure_rate,
       coalesce(i.incidents, 0) as incidents, i.time_to_restore_median_hours, i.recovery_from_deployment_median_hours
from weeks
left join d using (scope, scope_name, week_start)
left join c using (scope, scope_name, week_start)
left join i using (scope, scope_name, week_start);

create or replace table lower_bound.dora_summary as
with windows as (
    select window_days, window_offset, $window_end::timestamp - to_days(window_days * window_offset) as window_end,
           $window_end::timestamp - to_days(window_days * (window_offset + 1)) as window_start
    from (values (30), (90)) as t(window_days), (values (0), (1)) as o(window_offset)
    where window_offset = 0 or $window_end::timestamp - to_days(window_days * window_offset)
        > (select min(occurred_at) from (select deployed_at as occurred_at from lower_bound.deployments
                                union all select created_at from lower_bound.incidents))
),
scope_windows as (
    select * from (select distinct scope, scope_name from scoped_deployments
                   union select distinct scope, scope_name from scoped_incidents)
    cross join windows
),
d as (
    select sw.scope, sw.scope_name, sw.window_days, sw.window_offset, count(f.deployment_id) as deployments,
           count(f.deployment_id) filter (where f.is_failed) as failed_deployments
    from scope_windows as sw left join scoped_deployments as f on sw.scope = f.scope and sw.scope_name = f.scope_name
        and f.deployed_at >= sw.window_start and f.deployed_at < sw.window_end
    group by all
),
c as (
    select sw.scope, sw.scope_name, sw.window_days, sw.window_offset, count(f.change_id) as changes,
           quantile_cont(f.lead_time_hours, 0.5) as lead_time_median_hours
    from scope_windows as sw left join scoped_changes as f on sw.scope = f.scope and sw.scope_name = f.scope_name
        and f.deployed_at >= sw.window_start and f.deployed_at < sw.window_end
    group by all
),
i as (
    select sw.scope, sw.scope_name, sw.window_days, sw.window_offset, count(f.incident_id) as incidents,
           quantile_cont(f.time_to_restore_hours, 0.5) as time_to_restore_median_hours
    from scope_windows as sw left join scoped_incidents as f on sw.scope = f.scope and sw.scope_name = f.scope_name
        and f.created_at >= sw.window_start and f.created_at < sw.window_end
    group by all
)
select scope, scope_name, window_days, window_offset, deployments, deployments / (window_days / 7.0) as deployments_per_week,
       changes, lead_time_median_hours, failed_deployments, failed_deployments / nullif(deployments, 0) as change_failure_rate,
       incidents, time_to_restore_median_hours
from d join c using (scope, scope_name, window_days, window_offset) join i using (scope, scope_name, window_days, window_offset);
