"""The last steps of a run: publish the marts for BI tools, then render the dashboard."""


from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from dora.core.home import Home
from dora.core.publish import publish
from dora.core.summary import org_headline
from dora.core.warehouse_lock import warehouse_lock

MARTS = ("deployments", "changes", "incidents", "dora_weekly", "dora_summary", "dora_levels", "quarantine")


def build_publishing_assets(home: Home, definitions_dir):
    @asset(group_name="marts", deps=[AssetKey(["marts", m]) for m in MARTS])
    def published_marts(context: AssetExecutionContext) -> MaterializeResult:
        """The marts copied to a separate read-only DuckDB file, swapped in atomically.

        The org's 30-day headline metrics are recorded as metadata, so Dagster plots them over runs.
        """
        with warehouse_lock(home):
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
    def dashboard(context: AssetExecutionContext) -> MaterializeResult:
        """A self-contained HTML page with the DORA metrics, opened from disk."""
        from dora.dashboard import render_dashboard

        path = render_dashboard(home.published, definitions_dir, home.dashboard)
        return MaterializeResult(metadata={"path": MetadataValue.path(str(path))})

    return [published_marts, dashboard]
