"""The signed-in person's own work: `GET /me/tasks`, the list the home page shows.

The list is `services.tasks`'; reading it here leaves it unread on the page (only
opening the page marks it seen).
"""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import CurrentUser, RuntimeDep, SessionDep
from services.tasks import TaskList, tasks_for

router = APIRouter(tags=["me"])


@router.get("/me/tasks")
def my_tasks(user: CurrentUser, session: SessionDep, runtime: RuntimeDep) -> TaskList:
    """Your work across every open cycle: overdue first, then by due date.

    A regency officer drafts and reports, the reviewer reviews and verifies, a
    signatory signs when it is their office's turn; coordinators and managers get
    what is stuck and on whom it waits (`waiting_on`, and for signing the `offices`
    still to sign). Each task links (`path`) to the page where it is done. At most
    200 tasks; `more` counts the rest, `unread` those new since the person last
    opened the page.
    """
    return tasks_for(session, user, runtime.clock())
