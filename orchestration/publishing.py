"""The last steps of a run: publish the marts for BI tools, then render the dashboard."""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dora.core import build_inputs
from dora.core.summary import org_headline
from orchestration.install import InstallResource

MARTS = ("deployments", "changes", "incidents", "dora_weekly", "dora_summary", "dora_levels", "quarantine")


@asset(group_name="marts", deps=[AssetKey(["marts", m]) for m in MARTS])
def published_marts(context: AssetExecutionContext, install: InstallResource) -> MaterializeResult:
    """The marts made visible to readers in one step (a new DuckDB file swapped in, or new schemas
    swapped in on PostgreSQL: dora.core.warehouse).

    The org's 30-day headline metrics are recorded as metadata, so Dagster plots them over runs.
    """
    warehouse = install.warehouse
    with warehouse.write_lock().held():
        counts = warehouse.publish()
        build_inputs.record_published(warehouse)
    published = warehouse.published()
    headline = org_headline(published)
    metadata = {name: MetadataValue.int(n) for name, n in counts.items() if name.startswith("marts.")}
    metadata["location"] = MetadataValue.text(published.describe())
    for name, value in headline.items():
        if isinstance(value, float):
            metadata[name] = MetadataValue.float(value)
        elif value is not None:
            metadata[name] = MetadataValue.text(value)
    return MaterializeResult(metadata=metadata)


@asset(group_name="marts", deps=[published_marts])
def dashboard(context: AssetExecutionContext, install: InstallResource) -> MaterializeResult:
    """A self-contained HTML page with the DORA metrics, opened from disk."""
    from dora.dashboard import render_dashboard

    path = render_dashboard(install.warehouse.published(), install.definitions, install.home.dashboard)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path))})
