"""Replay stored histories of every workflow version against today's workflow code.

`histories/v<N>/` hold histories recorded from the year scenario by version N of the
workflow code (`KOMITMEN_RECORD_HISTORIES=1 pytest tests/workflows/test_year.py`
writes the newest folder). Runs of every version may still be open in production,
so each must replay: a change that would take a different path fails here until it
is guarded by `workflow.patched` (see "Changing a workflow" in the README).

v1: before MAIL_OUTSIDE_LOCK (mail was sent while the lock was held).
v2: mail goes out from the commitment's own queue.
v3: an event upserts only the search attributes it changes, and the timer to the next
    wakeup stays while that instant holds (FEWER_COMMANDS).
v4: changes are recorded by a local activity, and the cycle hears only of a
    commitment's end (RECORD_LOCALLY).
v5: escalations whose time passed before the commitment owed the deadline are sent at
    once (MISSED_ESCALATIONS), shown by commitment-missed-escalation (a cycle started
    after its drafting deadline; tests/workflows/test_missed_escalations.py records it).
    A quarter's report opens in the quarter's last month: that rule is carried by the
    cycle's spec (`ResolvedQuarter.opens`, absent from older specs), so it needs no patch.
v6: a saved plan's document is written in the canonical format (CANONICAL_DOCUMENT,
    `domain.document`); versions saved by earlier runs keep the typed format.
v7: whoever an action makes it the turn of is told at once by `send_turn_notice`
    (TURN_NOTICES, `domain.turns`); a decline and a returned report go out that way instead
    of by `send_status_notice`.
v8: a turn notice or a change notice is sent first by a local activity, and by the
    ordinary activity only if that one attempt fails (NOTICES_LOCALLY): an action costs
    one workflow task again.
v9: a commitment started with last cycle's unfinished items saves them as its version 1
    (CARRY_OVER), shown by commitment-carry-over (tests/workflows/test_carry_over.py
    records it); runs without carried items ask nothing and record no marker. The cycle's
    spec gained the acknowledging office and the carried items, with defaults.
v10: the cycle starts its commitments from `start_commitments` activities, in batches,
    instead of as child workflows (START_BY_ACTIVITY, `workflows/cycle.py`): its history
    has no child events and no workflow task per started child.
v11: an action's turn notice is sent by the local activity that records the action
    (`record_and_tell`, NOTICE_WITH_RECORD), not by a second local activity: one marker
    and one activation fewer per action that passes a turn.
v12: a new run asks one patch for every change above (ALL_CHANGES): one marker and one
    `TemporalChangeVersion` upsert instead of one pair per change; and it no longer keeps
    `NextDue` current.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from workflows.commitment import (
    ALL_CHANGES,
    CANONICAL_DOCUMENT,
    CARRY_OVER,
    FEWER_COMMANDS,
    MAIL_OUTSIDE_LOCK,
    MISSED_ESCALATIONS,
    NOTICE_WITH_RECORD,
    NOTICES_LOCALLY,
    RECORD_LOCALLY,
    TURN_NOTICES,
    CommitmentWorkflow,
)
from workflows.cycle import START_BY_ACTIVITY, CycleWorkflow

ROOT = Path(__file__).parent / "histories"
HISTORIES = sorted(ROOT.glob("v*/*.json"))
NAMES = {"cycle", "commitment-change-request", "commitment-decline"}
VERSIONS = ["v1", "v2", "v3", "v4", "v5", "v6", "v7", "v8", "v9", "v10", "v11", "v12"]


def test_histories_of_every_version_are_present() -> None:
    versions = sorted((p.name for p in ROOT.iterdir() if p.is_dir()), key=_number)
    assert versions == VERSIONS
    for version in versions:
        extra = {"commitment-missed-escalation"} if _number(version) >= 5 else set()
        extra |= {"commitment-carry-over"} if _number(version) >= 9 else set()
        assert {p.stem for p in (ROOT / version).glob("*.json")} == NAMES | extra, version


def _number(version: str) -> int:
    """A version folder's number: v10 comes after v9, which its name alone does not say."""
    return int(version.removeprefix("v"))


def _history(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(f"{path.parent.name}/{path.stem}", path.read_text())


@pytest.mark.parametrize(
    ("change", "since"),
    [
        (MAIL_OUTSIDE_LOCK, "v2"),
        (FEWER_COMMANDS, "v3"),
        (RECORD_LOCALLY, "v4"),
        (CANONICAL_DOCUMENT, "v6"),
        (TURN_NOTICES, "v7"),
        (NOTICES_LOCALLY, "v8"),
        (NOTICE_WITH_RECORD, "v11"),
    ],
)
@pytest.mark.parametrize("version", VERSIONS)
def test_only_runs_started_after_the_change_take_the_new_path(
    version: str, change: str, since: str
) -> None:
    """Runs of versions before a change replay without its patch marker; later ones have it,
    until v12, whose one marker (ALL_CHANGES) stands for them all."""
    history = _history(ROOT / version / "commitment-change-request.json")
    number = _number(version)
    assert _marked(history, change) == (_number(since) <= number < _number("v12"))
    assert _marked(history, ALL_CHANGES) == (number >= _number("v12"))


def _marked(history: WorkflowHistory, change: str) -> bool:
    markers = [e for e in history.events if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED]
    return any(change.encode() in e.SerializeToString() for e in markers)


def test_a_missed_escalation_is_sent_under_its_patch_and_only_there() -> None:
    """The late-started commitment sends its missed escalations behind MISSED_ESCALATIONS;
    runs that never missed one ask nothing and record no marker."""
    late = _history(ROOT / "v5" / "commitment-missed-escalation.json")
    assert _marked(late, MISSED_ESCALATIONS)
    sent = [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in late.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]
    assert "send_reminders" in sent
    for version in VERSIONS:
        for name in ("commitment-change-request", "commitment-decline"):
            assert not _marked(_history(ROOT / version / f"{name}.json"), MISSED_ESCALATIONS)


@pytest.mark.parametrize("name", ["commitment-change-request", "commitment-decline"])
def test_a_commitment_continues_as_new_after_a_quarter(name: str) -> None:
    """A year-long commitment starts a fresh history when its first quarter locks."""
    history = _history(ROOT / "v2" / f"{name}.json")
    last = history.events[-1]
    assert last.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    locks = [e for e in history.events if b"quarter_locked" in e.SerializeToString()]
    assert locks, "the run ends right after recording its first quarter lock"


@pytest.mark.parametrize("path", HISTORIES, ids=lambda p: f"{p.parent.name}/{p.stem}")
async def test_history_replays_deterministically(path: Path) -> None:
    history = _history(path)
    replayer = Replayer(
        workflows=[CycleWorkflow, CommitmentWorkflow], data_converter=pydantic_data_converter
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


@pytest.mark.parametrize("name", ["commitment-change-request", "commitment-decline"])
def test_since_v4_changes_are_recorded_locally_and_the_cycle_hears_only_of_the_end(
    name: str,
) -> None:
    """The same story as in v3, with each record a local-activity marker and no mid-way signal."""
    before, after = (_history(ROOT / v / f"{name}.json") for v in ("v3", "v4"))

    def records(history: WorkflowHistory) -> tuple[int, int]:
        """(record_event activities, record_event local-activity markers)."""
        scheduled = [
            e.activity_task_scheduled_event_attributes.activity_type.name
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
        ]
        markers = [
            e.marker_recorded_event_attributes.details["data"].payloads[0].data
            for e in history.events
            if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
            and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
        ]
        return scheduled.count("record_event"), sum(b'"record_event"' in m for m in markers)

    def signals(history: WorkflowHistory) -> int:
        initiated = EventType.EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED
        return sum(1 for e in history.events if e.event_type == initiated)

    recorded_before, local_before = records(before)
    assert recorded_before > 0 and local_before == 0
    assert records(after) == (0, recorded_before)
    # Neither run reaches its end (both continue as new after their first quarter).
    assert signals(before) > 0 and signals(after) == 0


def _scheduled(history: WorkflowHistory) -> list[str]:
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def test_since_v7_a_decline_is_told_as_a_turn_and_no_longer_as_a_status_notice() -> None:
    """The same declined commitment: v6 sends a status notice, v7 turn notices instead
    (submitted, approved, declined, approved again, fully signed, a first-quarter report
    submitted and verified), and never both for one event."""
    before, after = (_history(ROOT / v / "commitment-decline.json") for v in ("v6", "v7"))
    assert "send_status_notice" in _scheduled(before)
    assert "send_turn_notice" not in _scheduled(before)
    assert "send_status_notice" not in _scheduled(after)
    assert _scheduled(after).count("send_turn_notice") == 7


def _local(history: WorkflowHistory) -> list[bytes]:
    """The results of the run's local activities, each naming its activity."""
    return [
        e.marker_recorded_event_attributes.details["data"].payloads[0].data
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_MARKER_RECORDED
        and e.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]


def _workflow_tasks(history: WorkflowHistory) -> int:
    return sum(
        1 for e in history.events if e.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED
    )


@pytest.mark.parametrize("name", ["commitment-change-request", "commitment-decline"])
def test_since_v8_notices_are_local_activities_and_an_action_costs_one_workflow_task(
    name: str,
) -> None:
    """The same story as in v7: each notice a local-activity marker instead of an activity
    (three events and a workflow task of its own), and no notice sent twice."""
    before, after = (_history(ROOT / v / f"{name}.json") for v in ("v7", "v8"))
    notices = ("send_turn_notice", "send_change_notice")
    sent_before = [kind for kind in _scheduled(before) if kind in notices]
    assert sent_before and not [kind for kind in _scheduled(after) if kind in notices]
    local_after = _local(after)
    for kind in notices:
        local = sum(f'"{kind}"'.encode() in result for result in local_after)
        assert local == sent_before.count(kind), kind
    assert not any(b"send_turn_notice" in result for result in _local(before))
    assert _workflow_tasks(after) <= _workflow_tasks(before) - len(sent_before)


def test_carried_items_are_saved_under_their_patch_and_only_there() -> None:
    """The commitment started with carried items records CARRY_OVER and saves version 1 with
    the local activity right after its start; no other history of any version asks."""
    carried = _history(ROOT / "v9" / "commitment-carry-over.json")
    assert _marked(carried, CARRY_OVER)
    for version in VERSIONS:
        for path in (ROOT / version).glob("*.json"):
            if path.stem != "commitment-carry-over":
                assert not _marked(_history(path), CARRY_OVER), path


def test_since_v10_the_cycle_starts_its_commitments_from_activities() -> None:
    """The same 22-regency cycle: v9 starts 22 children, each start a workflow task's event
    and each end another; v10 starts them from one `start_commitments` activity under its
    patch, with no child event, and no earlier version carries the marker."""
    child_events = {
        EventType.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED,
        EventType.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED,
    }
    before, after = (_history(ROOT / v / "cycle.json") for v in ("v9", "v10"))
    assert sum(e.event_type in child_events for e in before.events) == 3 * 22
    assert not any(e.event_type in child_events for e in after.events)
    assert _marked(after, START_BY_ACTIVITY)
    assert _scheduled(after).count("start_commitments") == 1
    assert "start_commitments" not in _scheduled(before)
    assert _workflow_tasks(after) < _workflow_tasks(before)
    for version in VERSIONS[: VERSIONS.index("v10")]:
        assert not _marked(_history(ROOT / version / "cycle.json"), START_BY_ACTIVITY), version


@pytest.mark.parametrize("name", ["commitment-change-request", "commitment-decline"])
def test_since_v11_a_turn_notice_goes_with_the_record_of_its_action(name: str) -> None:
    """The same story as in v10: each turn notice sent by the local activity recording its
    action, so one local activity (and one activation) fewer per notice; change notices
    and changes passing no turn as before, and nothing recorded or told twice."""
    before, after = (_history(ROOT / v / f"{name}.json") for v in ("v10", "v11"))

    def count(history: WorkflowHistory, kind: str) -> int:
        return sum(f'"{kind}"'.encode() in result for result in _local(history))

    notices = count(before, "send_turn_notice")
    assert notices > 0 and count(before, "record_and_tell") == 0
    assert count(after, "send_turn_notice") == 0
    assert count(after, "record_and_tell") == notices
    assert count(after, "record_event") == count(before, "record_event") - notices
    assert count(after, "send_change_notice") == count(before, "send_change_notice")
    assert len(_local(after)) == len(_local(before)) - notices
    assert _marked(after, NOTICE_WITH_RECORD) and not _marked(before, NOTICE_WITH_RECORD)


def _attributes(history: WorkflowHistory) -> list[str]:
    """The search attributes each upsert of the history sets or unsets, in order."""
    upserts = [
        e.upsert_workflow_search_attributes_event_attributes.search_attributes
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    ]
    return [key for attributes in upserts for key in attributes.indexed_fields]


@pytest.mark.parametrize(
    "name", ["commitment-change-request", "commitment-decline", "commitment-carry-over"]
)
def test_since_v12_a_run_records_one_patch_and_no_next_due(name: str) -> None:
    """The same story as in v11: one patch marker and one `TemporalChangeVersion` upsert
    where v11 had one pair per change asked, no `NextDue` upsert, `Stage` shown as before,
    and the same changes recorded by the same local activities."""
    before, after = (_history(ROOT / v / f"{name}.json") for v in ("v11", "v12"))

    def patches(history: WorkflowHistory) -> int:
        return sum(b"core_patch" in e.SerializeToString() for e in history.events)

    assert patches(before) >= 5 and patches(after) == 1
    shown_before, shown_after = _attributes(before), _attributes(after)
    assert shown_before.count("TemporalChangeVersion") == patches(before)
    assert shown_after.count("TemporalChangeVersion") == 1
    assert "NextDue" in shown_before and "NextDue" not in shown_after
    assert shown_after.count("Stage") == shown_before.count("Stage")
    kinds = [[json.loads(r)["activity_type"] for r in _local(h)] for h in (before, after)]
    assert kinds[0] == kinds[1] and kinds[0]
    started = after.events[0].workflow_execution_started_event_attributes
    assert "NextDue" not in started.search_attributes.indexed_fields
