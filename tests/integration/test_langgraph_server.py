"""LangGraph's own server runs the graphs as langgraph.json lists them: `langgraph dev` and the SDK.

The run's context is JSON only (the fake model, no catalog, no trained models),
as Studio or any SDK client would send it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from greenroom.core.brief import load_brief
from tests.conftest import ROOT
from tests.integration.api_helpers import free_port

pytestmark = pytest.mark.slow


@dataclass
class DevServer:
    url: str
    log: Path
    data_dir: Path

    def context(self, **settings: Any) -> dict[str, Any]:
        """A run context as JSON: no catalog or trained models (the fake model and the folder are the server's own)."""
        return {"use_catalog": False, "use_trained_models": False, "max_edit_rounds": 1, **settings}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevServer]:
    pytest.importorskip("langgraph_api", reason="langgraph-cli[inmem] is not installed (pip install -e '.[dev]')")
    work = tmp_path_factory.mktemp("langgraph-dev")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GREENROOM_", "LANGSMITH_", "LANGCHAIN_"))}
    env["LANGGRAPH_CLI_NO_ANALYTICS"] = "1"  # the CLI's usage report; the server's version check is off in langgraph.json
    env["GREENROOM_MODEL__PROVIDER"] = "fake"  # the server's settings: a run's context cannot set them
    env["GREENROOM_DATA_DIR"] = str(work / "data")
    log = work / "server.log"
    cmd = [sys.executable, "-m", "langgraph_cli", "dev", "--no-browser", "--no-reload", "--host", "127.0.0.1", "--port", str(port),
           "--config", str(ROOT / "langgraph.json")]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"langgraph dev exited with {proc.returncode}:\n{log.read_text()}"
            assert time.monotonic() < deadline, f"langgraph dev did not answer within 120 s:\n{log.read_text()}"
            try:
                if httpx.get(f"{url}/ok", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        yield DevServer(url=url, log=log, data_dir=work / "data")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def test_the_graphs_publish_a_context_form_and_launch_takes_only_its_inputs(server: DevServer) -> None:
    from langgraph_sdk import get_sync_client

    with get_sync_client(url=server.url, api_key=None) as client:
        assistants = {a["graph_id"]: a for a in client.assistants.search(limit=20)}
        schemas = {graph_id: client.assistants.get_schemas(a["assistant_id"]) for graph_id, a in assistants.items()}
    assert set(assistants) == {"launch", "write", "analyse", "plan"}
    for graph_id, schema in schemas.items():
        context = schema["context_schema"]
        assert context is not None, graph_id
        assert {"approval", "max_edit_rounds", "max_tokens", "max_cost"} <= set(context["properties"])
        assert not {"model", "catalog", "trained"} & set(context["properties"])  # live objects never travel as JSON
        assert not {"model_settings", "data_dir", "chroma_url"} & set(context["properties"])  # the server's own
    launch_input = schemas["launch"]["input_schema"]
    assert launch_input is not None
    assert set(launch_input["properties"]) == {"brief", "marketing", "pricing_assumptions", "revision_note"}


def test_a_launch_run_pauses_for_approval_and_accept_ends_it_approved(server: DevServer) -> None:
    from langgraph_sdk import get_sync_client

    brief = load_brief(ROOT / "examples" / "briefs" / "night-shift-film.yaml").model_dump(mode="json")
    context = server.context(approval=True)
    with get_sync_client(url=server.url, api_key=None) as client:
        thread = client.threads.create()["thread_id"]
        paused = client.runs.wait(thread, "launch", input={"brief": brief}, context=context, raise_error=True)
        assert isinstance(paused, dict) and paused["package"]["version"] == 1
        state = client.threads.get_state(thread)
        assert state["next"] == ["approval"]
        assert state["tasks"][0]["interrupts"][0]["value"]["answers"] == ["accept", "edit", "respond", "reject"]

        done = client.runs.wait(thread, "launch", command={"resume": {"action": "accept"}}, context=context, raise_error=True)
        assert isinstance(done, dict) and done["status"] == "approved"
        assert client.threads.get_state(thread)["next"] == []

    log = server.log.read_text()
    assert "Deserializing unregistered type" not in log and "Blocked deserialization" not in log, log
