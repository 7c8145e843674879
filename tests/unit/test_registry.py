"""The run registry's job claims: leases, take-overs, lost messages, idempotency, older databases."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from greenroom.store.runs import IdempotencyConflictError, RunRegistry


@pytest.fixture
def registry(tmp_path: Path) -> RunRegistry:
    return RunRegistry(tmp_path / "runs.sqlite")


def _queued(registry: RunRegistry, run_id: str = "r1") -> str:
    registry.register(run_id, "Title", {"working_title": "Title"}, tenant="acme", approval=False)
    return run_id


def test_a_held_job_is_not_claimed_by_a_second_worker_until_its_lease_runs_out(registry: RunRegistry) -> None:
    run_id = _queued(registry)
    first = registry.start_job(run_id, "host:1", lease_s=0.3)
    assert first is not None and first.kind == "launch" and not first.started
    assert registry.start_job(run_id, "host:2", lease_s=0.3) is None  # a duplicate delivery is dropped
    assert registry.renew_lease(run_id, "host:1", 0.3)
    time.sleep(0.4)  # host:1 died: no renewal
    second = registry.start_job(run_id, "host:2", lease_s=30)
    assert second is not None and second.started  # the taker knows to resume from the checkpoint
    assert not registry.renew_lease(run_id, "host:1", 30)  # the old holder learns it lost the job


def test_the_sweep_hands_each_orphaned_job_to_one_caller(registry: RunRegistry) -> None:
    held, lost, waiting = _queued(registry, "held"), _queued(registry, "lost"), _queued(registry, "waiting")
    registry.start_job(held, "host:1", lease_s=0.2)
    registry.mark_dispatched(lost, time.time() - 100)  # sent long ago, never begun: the message was lost
    registry.mark_dispatched(waiting)  # sent just now: still in the queue
    time.sleep(0.3)
    assert sorted(registry.orphaned_jobs(requeue_after_s=50)) == ["held", "lost"]
    assert registry.orphaned_jobs(requeue_after_s=50) == []  # a second sweeper finds nothing to send
    assert registry.start_job(held, "host:2", lease_s=30) is not None


def test_finishing_leaves_a_job_queued_since_by_someone_else(registry: RunRegistry) -> None:
    run_id = _queued(registry)
    registry.start_job(run_id, "host:1", lease_s=30)
    registry.update(run_id, status="awaiting_approval")
    registry.queue_job(run_id, "approve", {"action": "accept"}, from_status=("awaiting_approval",))
    registry.finish_job(run_id, "host:1")  # the launch job's end arrives after the answer was queued
    assert registry.pending_jobs() == [run_id]
    job = registry.start_job(run_id, "host:2", lease_s=30)
    assert job is not None and job.kind == "approve" and job.payload == {"action": "accept"}


def test_queue_job_refuses_a_run_in_the_wrong_status_and_says_which(registry: RunRegistry) -> None:
    run_id = _queued(registry)
    with pytest.raises(ValueError, match="is queued; this needs it to be done or failed"):
        registry.queue_job(run_id, "revise", {}, from_status=("done", "failed"))
    with pytest.raises(ValueError, match=r"this needs it to be awaiting your approval$"):  # statuses in words
        registry.queue_job(run_id, "approve", {}, from_status=("awaiting_approval",))


def test_an_idempotency_key_returns_its_run_and_refuses_another_brief(registry: RunRegistry) -> None:
    first, created = registry.register("a", "T", {"x": 1}, tenant="acme", approval=False, idempotency_key="k", fingerprint="f1")
    again, created_again = registry.register("b", "T", {"x": 1}, tenant="acme", approval=False, idempotency_key="k",
                                                  fingerprint="f1")  # fmt: skip
    assert created and not created_again and again.id == first.id == "a"
    with pytest.raises(IdempotencyConflictError, match="'k' was used with a different brief"):
        registry.register("c", "T", {"x": 2}, tenant="acme", approval=False, idempotency_key="k", fingerprint="f2")
    other, created_other = registry.register("d", "T", {"x": 1}, tenant="globex", approval=False, idempotency_key="k")
    assert created_other and other.id == "d"  # keys are per tenant


def test_briefs_submitted_together_are_each_recorded_once_with_their_job_and_first_event(tmp_path: Path) -> None:
    """A burst of submits from many threads, retries with the same keys among them, and one key reused with another
    brief: every run is recorded once, each retry gets its first run back, and only the reuse is refused."""
    from concurrent.futures import ThreadPoolExecutor

    registry = RunRegistry(tmp_path / "burst.sqlite")

    def submit(i: int) -> tuple[str, bool] | str:
        key, fingerprint = f"key-{i % 40}", "other" if i == 99 else f"brief-{i % 40}"
        try:
            record, created = registry.register(f"run-{i}", f"T{i}", {"i": i}, tenant="acme", idempotency_key=key,
                                                fingerprint=fingerprint, event={"status": "queued"})  # fmt: skip
        except IdempotencyConflictError:
            return "refused"
        return record.id, created

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(submit, range(100)))
    assert answers[99] == "refused"
    created = [a for a in answers if a != "refused" and a[1]]
    assert len(created) == 40 and len(registry.pending_jobs()) == 40  # one run, one job per key
    for i, answer in enumerate(answers[:99]):
        assert answer[0] == next(run_id for run_id, _ in created if int(run_id.split("-")[1]) % 40 == i % 40)
    assert all([e.type for e in registry.events(run_id)] == ["status"] for run_id, _ in created)


def test_a_registry_written_before_leases_existed_opens_with_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "runs.sqlite"
    with sqlite3.connect(path) as conn:
        conn.executescript("""
            CREATE TABLE runs (id TEXT PRIMARY KEY, tenant TEXT NOT NULL DEFAULT 'default', title TEXT NOT NULL,
                brief TEXT NOT NULL, status TEXT NOT NULL, message TEXT NOT NULL DEFAULT '', version INTEGER NOT NULL DEFAULT 0,
                output_dir TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, updated_at TEXT NOT NULL);
            CREATE TABLE run_jobs (run_id TEXT PRIMARY KEY, kind TEXT NOT NULL, payload TEXT NOT NULL,
                started INTEGER NOT NULL DEFAULT 0, created_at TEXT NOT NULL);
            INSERT INTO runs VALUES ('old', 'acme', 'Old', '{}', 'running', '', 0, '', '2026-01-01T00:00:00+00:00',
                '2026-01-01T00:00:00+00:00');
            INSERT INTO run_jobs VALUES ('old', 'launch', '{}', 1, '2026-01-01T00:00:00+00:00');
        """)  # fmt: skip
    registry = RunRegistry(path)
    assert registry.get("old").status == "running" and registry.pending_jobs() == ["old"]
    job = registry.start_job("old", "host:1", lease_s=30)
    assert job is not None and job.started  # the interrupted run resumes
