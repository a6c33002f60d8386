"""The last steps of a run: publish the marts for BI tools, then render the dashboard."""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dora.core.publish import publish
from dora.core.summary import org_headline
from orchestration.install import InstallResource

MARTS = ("deployments", "changes", "incidents", "dora_weekly", "dora_summary", "dora_levels", "quarantine")


@asset(group_name="marts", deps=[AssetKey(["marts", m]) for m in MARTS])
def published_marts(context: AssetExecutionContext, install: InstallResource) -> MaterializeResult:
    """The marts copied to a separate read-only DuckDB file, swapped in atomically.

    The org's 30-day headline metrics are recorded as metadata, so Dagster plots them over runs.
    """
    home = install.home
    with install.write_lock().held():
        counts = publish(home)
    headline = org_headline(home.published)
    metadata = {name: MetadataValue.int(n) for name, n in counts.items() if name.startswith("marts.")}
    metadata["path"] = MetadataValue.path(str(home.published))
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

    path = render_dashboard(install.home.published, install.definitions, install.home.dashboard)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path))})
