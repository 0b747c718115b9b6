"""The words of the pages, and the language choice.

Source strings are English, marked `NC_(context, text)`; Bahasa Indonesia (the default)
is in the catalogs (`domain.words`, `domain/locale/id/LC_MESSAGES/messages.po`). Labels of
stages, phases, partners, budget sources and report states are the domain's own, so each
reads the same on every page, document, export and mail.
"""

from __future__ import annotations

from domain.display import LANGUAGES, QUARTER_NUMERALS, Language, normalize_language
from domain.plan import (
    BUDGET_SOURCE_LABELS,
    ISSUE_LABELS,
    PARTNER_LABELS,
    PHASE_LABELS,
    StrategicIssue,
)
from domain.reports import PROGRESS_LABELS, REPORT_STATE_LABELS, TIMELINESS_LABELS
from domain.roles import Role
from domain.stages import STAGE_LABELS, Stage
from domain.words import NC_, by_language, by_value, translate

LANG_COOKIE = "komitmen_lang"

TEXT_WORDS = {
    "app": NC_("page.app", "Komitmen"),
    "login": NC_("page.login", "Sign in"),
    "logout": NC_("page.logout", "Sign out"),
    "username": NC_("page.username", "Username"),
    "password": NC_("page.password", "Password"),
    "wrong_credentials": NC_("page.wrong_credentials", "Wrong username or password."),
    "board": NC_("page.board", "Cycle board"),
    "offices_nav": NC_("page.offices_nav", "Officials"),
    # The coordinator's links in the header, the task list and the sign-in page's link;
    # the same words as on the pages they lead to (api/pages/cycles.py, people.py, password.py).
    "start_cycle": NC_("cycles.start", "Start a cycle"),
    "manage_cycle": NC_("cycles.manage", "Manage the cycle"),
    "people_nav": NC_("people.nav", "People"),
    "forgot_password": NC_("password.forgot", "Forgot your password?"),
    "no_cycles": NC_("page.no_cycles", "No commitment cycle yet."),
    "regency": NC_("page.regency", "Regency/city"),
    "stage": NC_("page.stage", "Stage"),
    "round": NC_("page.round", "Round"),
    "next_deadline": NC_("page.next_deadline", "Next deadline"),
    "overdue": NC_("page.overdue", "Overdue"),
    "reports_verified": NC_("page.reports_verified", "Quarterly reports verified"),
    "not_started": NC_("page.not_started", "Not started"),
    "none": NC_("page.none", "—"),
    "items": NC_("page.items", "Action plan"),
    "version": NC_("page.version", "version"),
    "no_items": NC_("page.no_items", "No draft action plan yet."),
    "issue": NC_("page.issue", "Strategic issue"),
    "phase": NC_("page.phase", "Phase"),
    "activity": NC_("page.activity", "Action"),
    "indicator": NC_("page.indicator", "Indicator"),
    "target": NC_("page.target", "Target"),
    "budget": NC_("page.budget", "Budget"),
    "comments": NC_("page.comments", "Review comments"),
    "general_comments": NC_("page.general_comments", "General comments"),
    "signatures": NC_("page.signatures", "Signatures"),
    "no_signatures": NC_("page.no_signatures", "No signatures yet."),
    "document_hash": NC_("page.document_hash", "Document hash (SHA-256)"),
    "joint_document": NC_("page.joint_document", "Joint commitment (printable)"),
    "reports": NC_("page.reports", "Quarterly reports"),
    "no_reports": NC_("page.no_reports", "No quarterly report yet."),
    "quarter": NC_("page.quarter", "Quarter"),
    "state": NC_("page.state", "State"),
    "timeliness": NC_("page.timeliness", "Timeliness"),
    "submitted": NC_("page.submitted", "Submitted"),
    "verified": NC_("page.verified", "Verified"),
    "audit": NC_("page.audit", "History"),
    "when": NC_("page.when", "When"),
    "who": NC_("page.who", "By"),
    "action": NC_("page.action", "Action"),
    "forbidden": NC_("page.forbidden", "Access denied"),
    "not_found": NC_("page.not_found", "Not found"),
    "back": NC_("page.back", "Back to the board"),
    "signed_in_as": NC_("page.signed_in_as", "Signed in as"),
    "form_expired": NC_(
        "page.form_expired",
        "This form has expired. Reload the page and try again.",
    ),
    "locked_out": NC_(
        "page.locked_out",
        "Too many failed sign-ins. Try again in {minutes} minutes.",
    ),
    "actions": NC_("page.actions", "Actions"),
    "draft_editor": NC_("page.draft_editor", "Draft the action plan"),
    "spare_row_hint": NC_(
        "page.spare_row_hint",
        "Open “Add a new action” to add actions, several at once; empty rows are not saved.",
    ),
    "new_item": NC_("page.new_item", "New action"),
    "remove": NC_("page.remove", "Remove this action"),
    "unit": NC_("page.unit", "Unit"),
    "due_quarters": NC_("page.due_quarters", "Quarters of delivery"),
    "responsible": NC_("page.responsible", "Responsible unit"),
    "location": NC_("page.location", "Location"),
    "partners": NC_("page.partners", "Pentahelix partners"),
    "budget_source": NC_("page.budget_source", "Source of funds"),
    "save_draft": NC_("page.save_draft", "Save draft"),
    "submit": NC_("page.submit", "Submit for review"),
    "recorded_check": NC_(
        "page.recorded_check",
        "Check the amounts recorded in version {version} before you submit; if one is wrong, "
        "correct the draft first.",
    ),
    "recorded_report": NC_("page.recorded_report", "Progress as recorded"),
    "target_example": NC_("page.target_example", "e.g. 12.5"),
    "budget_example": NC_("page.budget_example", "e.g. 150,000,000"),
    "percent_example": NC_("page.percent_example", "e.g. 12.5"),
    "approve": NC_("page.approve", "Approve"),
    "request_changes": NC_("page.request_changes", "Request changes"),
    "comment_on": NC_("page.comment_on", "Comment on action"),
    "sign": NC_("page.sign", "Sign"),
    "signing_as": NC_("page.signing_as", "You sign as"),
    "sign_wet": NC_("page.sign_wet", "Wet signature"),
    "sign_wet_print": NC_("page.sign_wet_print", "Print the approved action plan:"),
    "sign_wet_stamp": NC_("page.sign_wet_stamp", "Sign it in ink and apply the office stamp."),
    "sign_wet_upload": NC_(
        "page.sign_wet_upload",
        "Upload the scan of the signed page (PDF, PNG or JPEG, at most {mb} MB)",
    ),
    "sign_wet_submit": NC_("page.sign_wet_submit", "Upload and sign"),
    "sign_certified": NC_("page.sign_certified", "Certified electronic signature (BSrE TTE)"),
    "sign_certified_intro": NC_(
        "page.sign_certified_intro",
        "The server sends the action plan's PDF to BSrE to be signed with your certificate. The "
        "passphrase is not kept.",
    ),
    "sign_certified_submit": NC_("page.sign_certified_submit", "Sign with TTE"),
    "nik": NC_("page.nik", "NIK (16 digits)"),
    "passphrase": NC_("page.passphrase", "TTE passphrase"),
    "download_pdf": NC_("page.download_pdf", "Download PDF"),
    "tte_waiting": NC_(
        "page.tte_waiting",
        "Your electronic signature is waiting for the BSrE service (attempt {attempts}); it is "
        "retried automatically.",
    ),
    "tte_enter_again": NC_(
        "page.tte_enter_again",
        "If it has not gone through in a few minutes, enter the passphrase again below.",
    ),
    "tte_refused": NC_(
        "page.tte_refused",
        "BSrE refused the signing request: check the NIK and passphrase.",
    ),
    "tte_invalid": NC_(
        "page.tte_invalid",
        "The PDF BSrE returned failed the signature check; nothing was signed. Contact the "
        "administrator.",
    ),
    "tte_form_invalid": NC_("page.tte_form_invalid", "Enter the 16-digit NIK and the passphrase."),
    "scan_too_large": NC_("page.scan_too_large", "The scan is too large: at most {mb} MB."),
    "scan_not_accepted": NC_(
        "page.scan_not_accepted",
        "The scan must be a PDF, PNG or JPEG (judged by its content, not its name).",
    ),
    "method_confirmed": NC_("page.method_confirmed", "Confirmed in Komitmen"),
    "method_wet": NC_("page.method_wet", "Wet signature (scan)"),
    "method_certified": NC_("page.method_certified", "Certified TTE (BSrE)"),
    "signature_file": NC_("page.signature_file", "Download file"),
    "definitive_holder": NC_("page.definitive_holder", "the definitive office-holder"),
    "acting_on_record": NC_(
        "page.acting_on_record",
        "(by the decree (SK) in force today, recorded by the coordinator)",
    ),
    "decline": NC_("page.decline", "Decline to sign"),
    "reason": NC_("page.reason", "Reason"),
    "report_progress": NC_("page.report_progress", "Report progress"),
    "percent_realised": NC_("page.percent_realised", "Realised (%)"),
    "narrative": NC_("page.narrative", "Narrative"),
    "evidence": NC_("page.evidence", "Evidence (one link per line)"),
    "send_report": NC_("page.send_report", "Send report"),
    "verify": NC_("page.verify", "Verify"),
    "return_report": NC_("page.return_report", "Return"),
    "versions": NC_("page.versions", "Versions"),
    "changes": NC_("page.changes", "Changes"),
    "compare": NC_("page.compare", "Compare"),
    "from": NC_("page.from", "from"),
    "to": NC_("page.to", "to"),
    "no_changes": NC_("page.no_changes", "No changes."),
    "fix_errors": NC_("page.fix_errors", "Check the marked fields."),
    "refused": NC_("page.refused", "Action refused"),
    "diff_added": NC_("page.diff_added", "Added"),
    "diff_removed": NC_("page.diff_removed", "Removed"),
    "diff_changed": NC_("page.diff_changed", "Changed"),
    "printable": NC_("page.printable", "Printable documents"),
    "print_plan": NC_("page.print_plan", "Action plan (printable)"),
    "revision_round": NC_("page.revision_round", "Revision {n}"),
    "revision_banner": NC_(
        "page.revision_banner",
        "Changes requested: {n} comments from the reviewer",
    ),
    "comments_for_round": NC_("page.comments_for_round", "Review comments for revision {n}"),
    "comments_answered": NC_("page.comments_answered", "answered"),
    "add_item": NC_("page.add_item", "Add a new action"),
    "action_no": NC_("page.action_no", "Action #{n}"),
    "report_action_no": NC_("page.report_action_no", "Report on action #{n}"),
    "review_heading": NC_("page.review_heading", "Review of version {version}"),
    "round_changes": NC_(
        "page.round_changes",
        "Changes since the last review: version {old} → {new}",
    ),
    "comment_if_changes": NC_(
        "page.comment_if_changes",
        "Comment on action #{n} (for a change request)",
    ),
    "signing_document": NC_("page.signing_document", "The document you sign"),
    "open_printable": NC_("page.open_printable", "Open the printable version"),
    "signatories": NC_("page.signatories", "Signatories"),
    "signed_already": NC_("page.signed_already", "signed"),
    "not_signed": NC_("page.not_signed", "not yet signed"),
    "signs_next": NC_("page.signs_next", "next to sign"),
    "signing_in_order": NC_("page.signing_in_order", "Signed in order, from top to bottom."),
    "confirm_read": NC_(
        "page.confirm_read",
        "I have read this action plan and agree with its content",
    ),
    "confirm_required": NC_(
        "page.confirm_required",
        "Tick the statement that you have read and agree with this action plan.",
    ),
    "report_under_review": NC_("page.report_under_review", "The report to verify"),
    "no_evidence": NC_("page.no_evidence", "No evidence"),
    # Evidence files behind a quarterly report (api/pages/attachments.py, evidence.py).
    "evidence_files": NC_("evidence.files", "Supporting evidence"),
    "evidence_none_yet": NC_("evidence.none_yet", "No files attached yet."),
    "evidence_add": NC_(
        "evidence.add", "Add files for action #{n} (photo, PDF, DOCX or XLSX, at most {mb} MB each)"
    ),
    "evidence_upload": NC_("evidence.upload", "Upload evidence"),
    "evidence_upload_hint": NC_(
        "evidence.upload_hint",
        "Upload evidence keeps what you typed; the report is sent only with Send report.",
    ),
    "evidence_remove": NC_("evidence.remove", "Remove"),
    "evidence_remove_named": NC_("evidence.remove_named", "Remove {name}"),
    "evidence_open_original": NC_("evidence.open_original", "Open original"),
    "evidence_taken": NC_("evidence.taken", "Taken {when}"),
    "evidence_place": NC_("evidence.place", "at {place}"),
    "evidence_far": NC_("evidence.far", "Taken ± {km} km from the action's location"),
    "evidence_thumbnail_pending": NC_("evidence.thumbnail_pending", "thumbnail being made"),
    "evidence_refused": NC_("evidence.refused", "Not accepted: {name} ({reason})"),
    "evidence_uploaded": NC_(
        "evidence.uploaded", "{n} file(s) attached. The report has not been sent yet."
    ),
    "evidence_removed": NC_("evidence.removed", "File removed. The report has not been sent yet."),
    "evidence_missing": NC_("evidence.missing", "Missing evidence"),
    "evidence_missing_for": NC_("evidence.missing_for", "Missing evidence for action #{n}"),
    "evidence_item_line": NC_("evidence.item_line", "Action {n}: {text}"),
    "evidence_zip": NC_("evidence.zip", "Download all evidence (ZIP)"),
    "evidence_kind_photo": NC_("evidence.kind_photo", "Photo"),
    "evidence_kind_pdf": NC_("evidence.kind_pdf", "PDF"),
    "evidence_kind_docx": NC_("evidence.kind_docx", "Word"),
    "evidence_kind_xlsx": NC_("evidence.kind_xlsx", "Excel"),
    "print_column": NC_("page.print_column", "Print"),
    "manager_view": NC_("page.manager_view", "Manager view"),
    "overdue_list": NC_("page.overdue_list", "Overdue"),
    "nothing_overdue": NC_("page.nothing_overdue", "Nothing is overdue."),
    "obligation": NC_("page.obligation", "Obligation"),
    "due_since": NC_("page.due_since", "Due since"),
    "overdue_for": NC_("page.overdue_for", "Overdue for"),
    "filter": NC_("page.filter", "Filter"),
    "all": NC_("page.all", "All"),
    "clear_filter": NC_("page.clear_filter", "Clear filter"),
    "bad_filter": NC_("page.bad_filter", "Unknown filter"),
    "bad_page": NC_("page.bad_page", "Unknown page of the list"),
    "overdue_pages": NC_("page.overdue_pages", "Pages of the overdue list"),
    "first_page": NC_("page.first_page", "« First page"),
    "previous_page": NC_("page.previous_page", "‹ Previous"),
    "next_page": NC_("page.next_page", "Next ›"),
    "due_drafting": NC_("page.due_drafting", "Drafting the action plan"),
    "due_review": NC_("page.due_review", "Reviewing the action plan"),
    "due_signing": NC_("page.due_signing", "Signing"),
    "due_report": NC_("page.due_report", "Quarterly report {quarter}"),
    "one_day": NC_("page.one_day", "{n} day"),
    "days": NC_("page.days", "{n} days"),
    "one_hour": NC_("page.one_hour", "{n} hour"),
    "hours": NC_("page.hours", "{n} hours"),
    "under_an_hour": NC_("page.under_an_hour", "under an hour"),
    "completeness": NC_("page.completeness", "Quarterly report completeness and timeliness"),
    "not_due": NC_("page.not_due", "Not yet due"),
    "no_plan": NC_("page.no_plan", "No signed plan yet"),
    "past_due": NC_("page.past_due", "Past due, not in yet"),
    "waiting": NC_("page.waiting", "Waiting for verification"),
    "total": NC_("page.total", "Total"),
    "progress": NC_("page.progress", "Progress by strategic issue and phase"),
    "progress_note": NC_(
        "page.progress_note",
        "Mean realisation of the actions in signed action plans, from the latest verified "
        "quarterly report; actions not yet reported count as 0%.",
    ),
    "progress_chart": NC_("page.progress_chart", "Chart of progress by strategic issue and phase"),
    "n_actions": NC_("page.n_actions", "{n} actions"),
    "no_actions": NC_("page.no_actions", "no actions"),
    "my_tasks": NC_("page.my_tasks", "My tasks"),
    "new_tasks": NC_("page.new_tasks", "{n} new tasks"),
    "no_tasks": NC_("page.no_tasks", "Nothing for you to do right now."),
    "task_new": NC_("page.task_new", "New"),
    "task_overdue": NC_("page.task_overdue", "Overdue"),
    "task_due": NC_("page.task_due", "Due"),
    "task_waiting_since": NC_("page.task_waiting_since", "Waiting since"),
    "tasks_more": NC_("page.tasks_more", "and {n} more"),
    "waiting_on": NC_("page.waiting_on", "Waiting on"),
    "waiting_regency_officer": NC_("page.waiting_regency_officer", "the regency's officer"),
    "waiting_reviewer": NC_("page.waiting_reviewer", "the provincial reviewer"),
    "carried_from": NC_("page.carried_from", "carried over from cycle {cycle}"),
    "supersedes": NC_(
        "page.supersedes",
        "recorded again after an interrupted system step; entries set aside: {count} "
        "(kept in the audit chain)",
    ),
    "waiting_signatory": NC_("page.waiting_signatory", "the signatories"),
    "office_bpbd_head": NC_("page.office_bpbd_head", "Head of BPBD"),
    "office_planning_head": NC_("page.office_planning_head", "Head of Bappeda"),
    "office_regional_head": NC_("page.office_regional_head", "Regent/Mayor"),
    "cycle_boards": NC_("page.cycle_boards", "Boards of running cycles"),
    "search": NC_("page.search", "Search commitments"),
    "search_label": NC_("page.search_label", "Regency or city name or code"),
    "search_button": NC_("page.search_button", "Search"),
    "search_results": NC_("page.search_results", "Results for “{q}”"),
    "search_none": NC_("page.search_none", "No commitment matches."),
    "cycle": NC_("page.cycle", "Cycle"),
    "sort_by": NC_("page.sort_by", "Sort by"),
    "sort_regency": NC_("page.sort_regency", "Regency/city"),
    "sort_stage": NC_("page.sort_stage", "Stage"),
    "sort_due": NC_("page.sort_due", "Next deadline"),
    # An action's newer fields in the editor and the report form (api/pages/forms.py).
    "baseline": NC_("page.baseline", "Baseline"),
    "quarter_targets": NC_("page.quarter_targets", "Quarterly targets (cumulative, optional)"),
    "quarter_target": NC_("page.quarter_target", "Q{quarter}"),
    "outcomes_section": NC_("page.outcomes_section", "Outcomes served (optional)"),
    "outcomes": NC_("page.outcomes", "Outcomes served"),
    "spm_services": NC_("page.spm_services", "SPM services"),
    "sipd_code": NC_("page.sipd_code", "SIPD sub-activity code"),
    "ikd_priorities": NC_("page.ikd_priorities", "IKD priorities"),
    "ikd_priority": NC_("page.ikd_priority", "IKD priority"),
    "ikd_indicator": NC_("page.ikd_indicator", "Indicator no. (optional)"),
    "sendai_targets": NC_("page.sendai_targets", "Sendai Framework targets"),
    "destana_villages": NC_("page.destana_villages", "Destana villages"),
    "village_code": NC_("page.village_code", "Village BPS code (10 digits)"),
    "destana_level": NC_("page.destana_level", "Level sought"),
    "destana_scheme": NC_("page.destana_scheme", "Scheme"),
    "choose": NC_("page.choose", "— choose —"),
    "carried_field": NC_("page.carried_field", "Carried over from an earlier cycle"),
    "realised_rp": NC_("page.realised_rp", "Budget realised (Rp)"),
    "realised_example": NC_("page.realised_example", "e.g. 37,500,000"),
    "realised_hint": NC_(
        "page.realised_hint",
        "Cumulative to the quarter's end; its share of the budget ({budget}) is computed.",
    ),
    "obstacles": NC_("page.obstacles", "Obstacles"),
    "follow_up": NC_("page.follow_up", "Follow-up plan"),
    # The province recap (api/pages/recap.py); its column words are services.recap_report's.
    "recap_view": NC_("page.recap_view", "Province recap"),
    "recap_intro": NC_(
        "page.recap_intro",
        "Actions of signed action plans, with the progress BPBD Provinsi verified up to the end "
        "of the quarter. Each figure opens the parties and actions behind it.",
    ),
    "recap_quarters": NC_("page.recap_quarters", "Quarter of the recap"),
    "recap_download": NC_("page.recap_download", "Download"),
    "recap_xlsx": NC_("page.recap_xlsx", "report (XLSX, A4)"),
    "recap_csv": NC_("page.recap_csv", "table (CSV)"),
    "recap_not_counted": NC_(
        "page.recap_not_counted", "Not counted yet (no signed action plan): {n} parties"
    ),
    "recap_bad_quarter": NC_("page.recap_bad_quarter", "The quarter must be 1 to 4 (I to IV)."),
    "recap_bad_figure": NC_(
        "page.recap_bad_figure",
        "Unknown figure: choose all actions (items), done, behind or carried over (carried).",
    ),
    "recap_unknown_group": NC_(
        "page.recap_unknown_group", "The recap has no group “{code}” in section “{kind}”."
    ),
    "recap_back": NC_("page.recap_back", "Back to the recap"),
    "recap_figure_items": NC_("page.recap_figure_items", "All actions"),
    "recap_figure_done": NC_("page.recap_figure_done", "Done (100%)"),
    "recap_figure_behind": NC_("page.recap_figure_behind", "Behind schedule"),
    "recap_figure_carried": NC_("page.recap_figure_carried", "Carried over"),
    "recap_figures": NC_("page.recap_figures", "Which actions"),
    "recap_position": NC_("page.recap_position", "No."),
    "recap_progress_expected": NC_(
        "page.recap_progress_expected", "Verified progress / expected by the quarter's end"
    ),
    "recap_mark_behind": NC_("page.recap_mark_behind", "behind"),
    "recap_mark_carried": NC_("page.recap_mark_carried", "carried over"),
    "recap_no_items": NC_("page.recap_no_items", "No actions."),
    "recap_parties_shown": NC_("page.recap_parties_shown", "{items} actions of {parties} parties"),
}
TEXT: dict[Language, dict[str, str]] = by_language(TEXT_WORDS)

_CHANGES_REQUESTED: dict[Language, str] = {
    lang: translate(NC_("stage.changes_requested", "Changes requested"), lang) for lang in LANGUAGES
}

PHASES = PHASE_LABELS

REPORT_STATES = REPORT_STATE_LABELS

TIMELINESS = TIMELINESS_LABELS

FIELD_WORDS = {
    "strategic_issue": "issue",
    "phase": "phase",
    "activity": "activity",
    "indicator": "indicator",
    "target_value": "target",
    "target_unit": "unit",
    "due_quarters": "due_quarters",
    "responsible_unit": "responsible",
    "partners": "partners",
    "budget_rp": "budget",
    "budget_source": "budget_source",
    "location": "location",
    "baseline": "baseline",
    "quarter_targets": "quarter_targets",
    "outcomes": "outcomes",
    "carried_from": "carried_field",
    # The editor's parts of them (`api.pages.forms.field_kind`).
    "quarter_target": "quarter_targets",
    "carried": "carried_field",
    "spm": "spm_services",
    "sipd_code": "sipd_code",
    "ikd": "ikd_priorities",
    "ikd_priority": "ikd_priority",
    "ikd_indicator": "ikd_indicator",
    "sendai": "sendai_targets",
    "destana": "destana_villages",
    "destana_village_code": "village_code",
    "destana_level": "destana_level",
    "destana_scheme": "destana_scheme",
}
"""The TEXT key naming each action-item field."""

ACTION_LABELS_WORDS = {
    "started": NC_("action.started", "Started"),
    "save_draft": NC_("action.save_draft", "Draft saved"),
    "submit": NC_("action.submit", "Submitted"),
    "approve": NC_("action.approve", "Approved"),
    "request_changes": NC_("action.request_changes", "Changes requested"),
    "sign": NC_("action.sign", "Signed"),
    "decline": NC_("action.decline", "Signing declined"),
    "submit_report": NC_("action.submit_report", "Report submitted"),
    "verify_report": NC_("action.verify_report", "Report verified"),
    "return_report": NC_("action.return_report", "Report returned"),
    "extend_deadline": NC_("action.extend_deadline", "Deadline extended"),
    "withdraw": NC_("action.withdraw", "Withdrawn"),
    "cancel": NC_("action.cancel", "Cancelled"),
}
ACTION_LABELS: dict[Language, dict[str, str]] = by_language(ACTION_LABELS_WORDS)
"""What an audit row's action reads as; unknown actions show their code."""

ROLE_LABELS_WORDS = {
    Role.COORDINATOR: NC_("role.coordinator", "Coordinator"),
    Role.REVIEWER: NC_("role.reviewer", "Reviewer"),
    Role.MANAGER: NC_("role.manager", "Manager"),
    Role.REGENCY_OFFICER: NC_("role.regency_officer", "Regency officer"),
    Role.SIGNATORY: NC_("role.signatory", "Signatory"),
}
ROLE_LABELS: dict[Language, dict[str, str]] = by_value(by_language(ROLE_LABELS_WORDS))
"""Each role's one label, as the audit timeline shows who acted; unknown roles show their
code."""

ACTION_DONE_WORDS = {
    "save_draft": NC_("done.save_draft", "Draft saved as a new version."),
    "submit": NC_("done.submit", "Action plan submitted for review."),
    "approve": NC_("done.approve", "Action plan approved; waiting for signatures."),
    "request_changes": NC_("done.request_changes", "Change request sent."),
    "sign": NC_("done.sign", "Signature recorded."),
    "decline": NC_("done.decline", "Declined; the action plan is back in review."),
    "submit_report": NC_("done.submit_report", "Quarterly report sent."),
    "verify_report": NC_("done.verify_report", "Quarterly report verified."),
    "return_report": NC_("done.return_report", "Quarterly report returned for correction."),
}
ACTION_DONE: dict[Language, dict[str, str]] = by_language(ACTION_DONE_WORDS)

PROGRESS = PROGRESS_LABELS

BUDGET_SOURCES = BUDGET_SOURCE_LABELS

PARTNERS = PARTNER_LABELS

QUARTERS = QUARTER_NUMERALS


def choose_language(query: str | None, cookie: str | None) -> Language:
    """The page language: `?lang=` first, then the cookie, else Bahasa Indonesia."""
    chosen = query or cookie or "id"
    return normalize_language(chosen)


def stage_label(stage: str, revising: bool, language: Language) -> str:
    """A stage as users say it; drafting after a change request reads "Perlu Revisi"."""
    value = Stage(stage)
    if value is Stage.DRAFTING and revising:
        return _CHANGES_REQUESTED[language]
    return STAGE_LABELS[language][value]


def issue_label(issue: str, language: Language) -> str:
    """A strategic issue's label, or its code if unknown."""
    try:
        return ISSUE_LABELS[language][StrategicIssue(issue)]
    except ValueError:
        return issue
