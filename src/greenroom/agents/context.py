"""What the graphs' nodes receive at run time, besides their state.

A run's context is settings (plain JSON, every one with a default) plus four
live resources: the generation model, the title catalog, the trained
models and the viewer panels. `interfaces/` builds the resources once from its settings and hands
them in (`AgentContext(model=..., catalog=..., trained=...)`). LangGraph's own
server (`langgraph dev`, Studio, the SDK) can only pass JSON: there the
resources are built from the context's settings when the context is made,
once per process, and shared by every run with the same settings. Nodes read
`runtime.context` either way and never touch the environment.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import ConfigDict, Field, GetCoreSchemaHandler, TypeAdapter
from pydantic_core import CoreSchema

from greenroom.core.settings import ModelSettings
from greenroom.models.llm import ModelHandle, build_model

if TYPE_CHECKING:
    from greenroom.store.catalog import Catalog
    from greenroom.tools.training import ProgressFn, TrainedModels
    from greenroom.tools.viewers import ViewerPanels


@dataclass(kw_only=True)
class RunOptions:
    """What any run may choose for itself: the approval step, the caps, the writer's draws, the tenant, what to use."""

    __pydantic_config__ = ConfigDict(use_attribute_docstrings=True, extra="forbid")

    approval: bool = False
    """Pause after assembly until a person accepts, edits, responds or rejects."""
    max_edit_rounds: Annotated[int, Field(ge=1, le=10)] = 2
    """Writer/editor rounds before the draft is returned as it stands."""
    max_tokens: Annotated[int, Field(ge=0)] = 0
    """Stop the run cleanly before a step once this many tokens are spent; 0 means no cap."""
    max_cost: Annotated[float, Field(ge=0)] = 0.0
    """Stop the run cleanly before a step once this much (USD, estimated) is spent; 0 means no cap."""
    writer_candidates: Annotated[int, Field(ge=0, le=8)] = 0
    """Answers the writer may draw per part until one passes every check; 0 picks by model (3 on llama.cpp, 1 hosted)."""
    use_catalog: bool = True
    """Search the catalog for comparable titles; false leaves comparables out (and the report says so)."""
    use_trained_models: bool = True
    """Forecast with the trained models in data_dir (trained on first use); false leaves forecasts and segments out."""
    tenant: str = "default"
    """Whose viewers the title is scored for: the tenant's imported viewing history, else the bundled MovieLens panel."""


@dataclass(kw_only=True)
class RunSettings(RunOptions):
    """Run options plus where the resources live: set by the process that runs the graph, never by a served run."""

    model_settings: ModelSettings = field(default_factory=ModelSettings)
    """The generation model to build when none is handed in (provider, name, base_url, ...)."""
    data_dir: str = ".greenroom"
    """Folder of the catalog, the trained models and the embedded model's log, relative to the server's folder."""
    chroma_url: str = ""
    """A Chroma server (http://host:port); empty uses the embedded catalog in data_dir."""
    seed_catalog: bool = True
    """Load the bundled films into an empty catalog on first use."""

    def resource_key(self) -> str:
        """The settings the live resources are built from, as one string (secrets included, never shown)."""
        model = self.model_settings.model_dump(mode="json") | {"api_key": self.model_settings.api_key.get_secret_value()}
        return json.dumps([model, self.data_dir, self.chroma_url, self.seed_catalog, self.use_catalog, self.use_trained_models])


_CHECK_SETTINGS = TypeAdapter(RunSettings)


@dataclass(kw_only=True, repr=False, eq=False)
class AgentContext(RunSettings):
    """Settings, models, stores and limits handed to every node of a run.

    The live resources are plain fields. An interface hands them in; a context that arrives with no model (LangGraph's
    server builds it from JSON) gets the ones its settings name, built once per process and shared (`resources`).
    """

    model: ModelHandle = None  # type: ignore[assignment]  # filled in __post_init__ when not handed in
    """The generation model every agent writes with."""
    catalog: Catalog | None = None
    """The title catalog the analyst searches; None leaves comparables out (and says so)."""
    trained: TrainedModels | None = None
    """The analyst's trained predictors; None leaves forecasts and segments out (and says so)."""
    viewers: ViewerPanels | None = None
    """Viewer panels per tenant for the targeting list; None leaves it out (and says so)."""
    should_stop: Callable[[], bool] | None = None
    """Asked before each launch step: True stops the run there (someone cancelled it); None never stops it."""

    def __post_init__(self) -> None:
        self._check_settings()
        if self.model is None:  # nothing handed in: the ones the settings name
            live = resources(self)
            self.model, self.catalog, self.trained, self.viewers = live.model, live.catalog, live.trained, live.viewers

    def _check_settings(self) -> None:
        """Check the settings: LangGraph's server hands them over as unchecked JSON."""
        checked = _CHECK_SETTINGS.validate_python({f.name: getattr(self, f.name) for f in fields(RunSettings)})
        self.__dict__.update({f.name: getattr(checked, f.name) for f in fields(RunSettings)})

    def __repr__(self) -> str:
        settings = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(RunSettings))
        return f"AgentContext({settings})"  # the live resources stay out

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[Any], handler: GetCoreSchemaHandler) -> CoreSchema:
        """The context schema LangGraph publishes (Studio's form): the settings; live objects never travel as JSON."""
        return handler(RunSettings)


SERVER_SIDE = tuple(f.name for f in fields(RunSettings) if f.name not in {g.name for g in fields(RunOptions)})
"""Settings a served run may not set: where the model lives and its key, the folders, the Chroma server."""
_served: list[RunSettings] = [RunSettings()]


def serve_with(settings: RunSettings) -> None:
    """The server-side settings of the served graphs (`langgraph dev`): the operator's, read where the server starts."""
    _served[0] = settings


class ServerSideSettingError(ValueError):
    """A served run's context tried to set what only the server sets."""


@dataclass(kw_only=True, repr=False, eq=False)
class ServedContext(AgentContext):
    """A run's context on LangGraph's own server: the run chooses its options; the model's address and key, the
    folders and the Chroma server are the server's (`serve_with`), so an unauthenticated caller cannot point the
    prompt at a listener of its choosing or create a folder at a path of its choosing."""

    def __post_init__(self) -> None:
        defaults = RunSettings()
        given = [name for name in SERVER_SIDE if getattr(self, name) != getattr(defaults, name)]
        if given:
            raise ServerSideSettingError(
                f"{', '.join(given)}: set by the server that runs the graphs (its GREENROOM_* settings), never by a run"
            )
        for name in SERVER_SIDE:
            self.__dict__[name] = getattr(_served[0], name)
        self._check_settings()  # the resources come on first use, below

    # LangGraph's server makes a run's context in its event loop, where building a model or opening a catalog would
    # block every other request (its `langgraph dev` refuses such calls). A served context's resources are therefore
    # built on first use, by the first node that reads one (nodes run in worker threads), and shared per process.
    model = property(lambda self: self._live("model"), lambda self, value: self._hand_in("model", value))  # type: ignore[assignment]
    catalog = property(lambda self: self._live("catalog"), lambda self, value: self._hand_in("catalog", value))  # type: ignore[assignment]
    trained = property(lambda self: self._live("trained"), lambda self, value: self._hand_in("trained", value))  # type: ignore[assignment]
    viewers = property(lambda self: self._live("viewers"), lambda self, value: self._hand_in("viewers", value))  # type: ignore[assignment]

    def _hand_in(self, name: str, value: Any) -> None:
        self.__dict__[f"_{name}"] = value

    def _live(self, name: str) -> Any:
        handed = self.__dict__.get(f"_{name}")
        if self.__dict__.get("_model") is None:  # nothing handed in: what the server's settings name
            return getattr(resources(self), name)
        return handed

    @classmethod
    def __get_pydantic_core_schema__(cls, source: type[Any], handler: GetCoreSchemaHandler) -> CoreSchema:
        """Studio's form shows only what a run may choose."""
        return handler(RunOptions)


# --- live resources built from settings ------------------------------------------


@dataclass(frozen=True)
class Resources:
    """The live objects one set of settings names."""

    model: ModelHandle
    catalog: Catalog | None
    trained: TrainedModels | None
    viewers: ViewerPanels | None = None


_built: dict[str, Resources] = {}
_building = threading.Lock()


def resources(settings: RunSettings) -> Resources:
    """The resources `settings` name, built on first use and kept for the life of the process."""
    key = settings.resource_key()
    with _building:  # concurrent runs wait for the first to build, then share
        if key not in _built:
            data_dir = Path(settings.data_dir)
            data_dir.mkdir(parents=True, exist_ok=True)
            catalog = catalog_in(data_dir, settings.chroma_url, seed=settings.seed_catalog) if settings.use_catalog else None
            _built[key] = Resources(
                model=build_model(settings.model_settings, log_dir=data_dir),
                catalog=catalog,
                trained=trained_models_in(data_dir) if settings.use_trained_models else None,
                viewers=viewers_in(data_dir, catalog) if settings.use_trained_models else None,
            )
        return _built[key]


def catalog_in(data_dir: Path, chroma_url: str = "", *, seed: bool = True, progress: ProgressFn | None = None) -> Catalog:
    """The catalog in `data_dir` (or the Chroma server at `chroma_url`), seeded with the bundled films on first use."""
    from greenroom.store.catalog import Catalog  # chromadb takes seconds to import: only when a catalog is opened
    from greenroom.store.seed import ensure_seeded

    catalog = Catalog.open(data_dir / "catalog", url=chroma_url)
    if seed:
        ensure_seeded(catalog, progress=(lambda done, total: progress("seeding the catalog", done, total)) if progress else None)
    return catalog


def trained_models_in(data_dir: Path, progress: ProgressFn | None = None) -> TrainedModels:
    """The analyst's predictors in `data_dir`, trained on first use and loaded afterwards.

    Processes sharing the data folder (a pool's workers) train under one lock: the first trains,
    the others wait and load what it saved.
    """
    from filelock import FileLock

    from greenroom.tools.training import load_or_train, models_dir  # scikit-learn: only when models are needed

    folder = models_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with FileLock(folder / ".train.lock"):
        return load_or_train(data_dir, progress=progress)


def viewers_in(data_dir: Path, catalog: Catalog | None, database_url: str = "") -> ViewerPanels:
    """Viewer panels per tenant: histories in the database (else `viewers.sqlite` in `data_dir`), MovieLens otherwise."""
    from greenroom.store.viewers import ViewerStore
    from greenroom.tools.training import models_dir
    from greenroom.tools.viewers import ViewerPanels  # scikit-learn: only when panels are needed

    data_dir.mkdir(parents=True, exist_ok=True)
    return ViewerPanels(ViewerStore(database_url or data_dir / "viewers.sqlite"), catalog, models_dir(data_dir))
