"""Viewer histories and recommendations: the functions the CLI and the REST API share.

Every call names a tenant: a tenant's imported history is read only for it,
and a tenant that imported none is scored on the bundled MovieLens panel.
A run's targeting list is recomputed from its package (the brief and its
comparables) against the tenant's panel as it stands now.
"""

from __future__ import annotations

from pathlib import Path

from greenroom.agents.context import viewers_in
from greenroom.core.audience import AudienceReport
from greenroom.core.brief import Brief
from greenroom.core.package import LaunchPackage
from greenroom.core.viewers import TargetingList, ViewerList
from greenroom.interfaces.runs import latest_package, open_catalog, registry
from greenroom.interfaces.settings import Settings
from greenroom.store.catalog import Catalog
from greenroom.store.runs import UnknownRunError
from greenroom.store.viewers import ViewerImportReport, ViewerStore, import_viewers
from greenroom.tools.comparables import find_comparables
from greenroom.tools.viewers import ViewerPanels, brief_profile, target, viewer_list

PLAN_COMPARABLES = 8
"""Catalog comparables a plan's title is placed among (as many as the analyst finds for a launch)."""


def viewer_store(settings: Settings) -> ViewerStore:
    """The viewer histories: the shared database when one is set, else `viewers.sqlite` in the data folder."""
    settings.ensure_dirs()
    return ViewerStore(settings.database_url or settings.data_dir / "viewers.sqlite")


def viewer_panels(settings: Settings, catalog: Catalog | None = None) -> ViewerPanels:
    """Panels per tenant over the settings' store and catalog; the MovieLens panel is cached with the trained models."""
    settings.ensure_dirs()
    return viewers_in(settings.data_dir, catalog or open_catalog(settings), settings.database_url)


def import_history(settings: Settings, path: Path, *, tenant: str, mapping: dict[str, str] | None = None,
                   rating_scale: float = 5.0, source: str | None = None,
                   catalog: Catalog | None = None) -> ViewerImportReport:  # fmt: skip
    """Import a viewing history file for `tenant` (ImportFileError for a file that cannot be read at all)."""
    return import_viewers(
        path, viewer_store(settings), catalog or open_catalog(settings), tenant=tenant, mapping=mapping,
        rating_scale=rating_scale, source=source,
    )  # fmt: skip


def run_package(settings: Settings, run_id: str, tenant: str) -> LaunchPackage:
    """The latest package of a run the tenant owns (UnknownRunError for another tenant's run or one without a package)."""
    record = registry(settings).get(run_id)
    if record.tenant != tenant:
        raise UnknownRunError(run_id)
    saved = Path(record.output_dir) / "package.json" if record.output_dir else None
    if saved is not None and saved.is_file():
        return LaunchPackage.model_validate_json(saved.read_text(encoding="utf-8"))
    package = latest_package(run_id, settings)
    if package is None:
        raise UnknownRunError(run_id)
    return package


def run_targeting(settings: Settings, run_id: str, tenant: str, panels: ViewerPanels, *, top: int = 100) -> TargetingList:
    """The targeting list for a run's title, scored now on the tenant's panel."""
    package = run_package(settings, run_id, tenant)
    panel = panels.panel(tenant)
    embed = panels.catalog.embedding if panels.catalog is not None else None
    return target(panel, brief_profile(panel, package.brief, package.audience.comparables, embed), top=top)


def user_recommendations(settings: Settings, user_id: str, tenant: str, panels: ViewerPanels, *, run_id: str | None = None,
                         k: int = 10) -> ViewerList:  # fmt: skip
    """A viewer's list (KeyError for a viewer not in the tenant's panel); with a run, its title placed in the list."""
    panel = panels.panel(tenant)
    title = None
    if run_id is not None:
        package = run_package(settings, run_id, tenant)
        embed = panels.catalog.embedding if panels.catalog is not None else None
        title = brief_profile(panel, package.brief, package.audience.comparables, embed)
    return viewer_list(panel, user_id, title, k=k)


def tenant_audience(settings: Settings, brief: Brief, tenant: str, *, top: int = 100) -> AudienceReport | None:
    """For a plan: the brief's targeting list on the tenant's own imported viewers; None when the tenant imported none.

    The marketer sizes the owned channels (push, email) to its high-affinity audience.
    """
    if not viewer_store(settings).revision(tenant):
        return None
    catalog = open_catalog(settings)
    panel = viewer_panels(settings, catalog).panel(tenant)
    comparables = find_comparables(brief, catalog, k=PLAN_COMPARABLES, tenant=tenant)
    targeting = target(panel, brief_profile(panel, brief, comparables, catalog.embedding), top=top)
    found = (f"{targeting.high_affinity:,} of tenant {tenant}'s {targeting.panel.viewers:,} viewers are at least "
             f"{targeting.high_affinity_threshold:g}x as likely to watch {brief.working_title} as viewers with as much history")  # fmt: skip
    return AudienceReport(comparables=comparables, targeting=targeting, headline=found, summary=found + ".",
                          summary_source="template")  # fmt: skip
