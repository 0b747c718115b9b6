"""Every refusal the transition rules can give: a code, its parameters, and its words.

A refusal travels as a code and parameters (`TransitionRefused.code`, `.params`; across
Temporal in the ApplicationError's details) so that each door words it in the reader's
language: the JSON API keeps the English reason, the pages and the mail render
`refusal_text(code, params, language)`. The English wording is the API's `detail` as it
has always been, so clients matching on it keep working; the Indonesian is in the
catalogs (`domain.words`).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from domain.display import normalize_language
from domain.errors import TransitionRefused
from domain.words import NC_, Word, translate


class RefusalCode(StrEnum):
    """Why the rules refuse an action."""

    OUT_OF_REGENCY = "out_of_regency"
    WRONG_STAGE = "wrong_stage"
    WRONG_ROLE = "wrong_role"
    STALE_EDIT = "stale_edit"
    STALE_VERSION = "stale_version"
    NOTHING_TO_SUBMIT = "nothing_to_submit"
    NO_SUCH_ITEM_COMMENTED = "no_such_item_commented"
    NOT_A_SIGNATORY = "not_a_signatory"
    ALREADY_SIGNED = "already_signed"
    NOT_YOUR_TURN = "not_your_turn"
    FILE_REQUIRED = "file_required"
    FILE_NOT_TAKEN = "file_not_taken"
    STALE_DOCUMENT = "stale_document"
    NO_SIGNATURE_PENDING = "no_signature_pending"
    QUARTER_LOCKED = "quarter_locked"
    REPORT_NOT_OPEN = "report_not_open"
    REPORT_ALREADY = "report_already"
    ITEM_REPORTED_TWICE = "item_reported_twice"
    NO_SUCH_ITEM_REPORTED = "no_such_item_reported"
    NO_REPORT_WAITING = "no_report_waiting"
    VERIFY_INSTEAD = "verify_instead"
    DEADLINE_NOT_APPLICABLE = "deadline_not_applicable"
    DEADLINE_LOCKED = "deadline_locked"
    DEADLINE_MET = "deadline_met"
    EXTENSION_NOT_LATER = "extension_not_later"
    EXTENSION_TOO_FAR = "extension_too_far"
    CYCLE_ROLE = "cycle_role"
    CYCLE_ENDED = "cycle_ended"
    COMMITMENT_ENDED = "commitment_ended"
    NOT_PARTY_REVIEWER = "not_party_reviewer"
    # Refused by the services, before a workflow is asked (`services.errors.Refusal.coded`).
    OUTSIDE_SCOPE = "outside_scope"
    ROLE_NOT_ALLOWED = "role_not_allowed"
    ACTING_NOT_ON_RECORD = "acting_not_on_record"
    COMMITMENT_CLOSED = "commitment_closed"
    SCAN_TOO_LARGE = "scan_too_large"
    SCAN_EMPTY = "scan_empty"
    PDF_INCOMPLETE = "pdf_incomplete"
    SCAN_WRONG_TYPE = "scan_wrong_type"
    WRONG_METHOD = "wrong_method"
    TTE_NOT_CONFIGURED = "tte_not_configured"
    OFFICE_SIGNED_DOCUMENT = "office_signed_document"
    STALE_DOCUMENT_HASH = "stale_document_hash"
    TTE_REFUSED = "tte_refused"
    TTE_INVALID = "tte_invalid"
    # Refused when an office's assignment is recorded (`domain.offices`).
    ACTING_NOT_FOR_OFFICE = "acting_not_for_office"
    SK_REQUIRED = "sk_required"
    OWN_TITLE_REQUIRED = "own_title_required"
    PERIOD_REVERSED = "period_reversed"
    ASSIGNMENT_OVERLAP = "assignment_overlap"
    NOT_REGENCY_SIGNATORY = "not_regency_signatory"
    # Refused when evidence is attached to or removed from a report (`services.evidence`).
    EVIDENCE_NOT_OPEN = "evidence_not_open"
    EVIDENCE_REPORT_SUBMITTED = "evidence_report_submitted"
    EVIDENCE_ITEM_FULL = "evidence_item_full"
    EVIDENCE_REPORT_FULL = "evidence_report_full"
    EVIDENCE_LISTED = "evidence_listed"
    # Refused when evidence is handed in (`evidence.inspect`, raised by the services).
    EVIDENCE_EMPTY = "evidence_empty"
    EVIDENCE_TOO_LARGE = "evidence_too_large"
    EVIDENCE_WRONG_TYPE = "evidence_wrong_type"
    EVIDENCE_EXECUTABLE = "evidence_executable"
    EVIDENCE_POLYGLOT = "evidence_polyglot"
    EVIDENCE_BOMB = "evidence_bomb"
    EVIDENCE_DAMAGED = "evidence_damaged"
    EVIDENCE_BAD_NAME = "evidence_bad_name"
    # Refused when a draft is saved (`services.actions.check_villages`).
    VILLAGE_OUTSIDE_REGENCY = "village_outside_regency"


Params = Mapping[str, str | int]

_WORDS: dict[RefusalCode, Word] = {
    RefusalCode.OUT_OF_REGENCY: NC_(
        "refusal.out_of_regency",
        "{name} acts for regency {own}, not {regency}",
    ),
    RefusalCode.WRONG_STAGE: NC_(
        "refusal.wrong_stage",
        "cannot {action} a commitment in stage '{stage}'{allowed}",
    ),
    RefusalCode.WRONG_ROLE: NC_(
        "refusal.wrong_role",
        "role '{role}' may not {action}; needs {roles}",
    ),
    RefusalCode.STALE_EDIT: NC_(
        "refusal.stale_edit",
        "stale version: this edit started from version {based_on}, but version {latest} has "
        "been saved since; reload and edit again",
    ),
    RefusalCode.STALE_VERSION: NC_(
        "refusal.stale_version",
        "stale version: {what} is version {expected}, not {given}",
    ),
    RefusalCode.NOTHING_TO_SUBMIT: NC_(
        "refusal.nothing_to_submit",
        "nothing to submit: save a draft first",
    ),
    RefusalCode.NO_SUCH_ITEM_COMMENTED: NC_(
        "refusal.no_such_item_commented",
        "comment on item {item}, but the draft has {count} items",
    ),
    RefusalCode.NOT_A_SIGNATORY: NC_(
        "refusal.not_a_signatory",
        "office '{office}' is not a required signatory; required: {required}",
    ),
    RefusalCode.ALREADY_SIGNED: NC_(
        "refusal.already_signed",
        "office '{office}' has already signed",
    ),
    RefusalCode.NOT_YOUR_TURN: NC_("refusal.not_your_turn", "signing order: '{first}' signs first"),
    RefusalCode.FILE_REQUIRED: NC_(
        "refusal.file_required",
        "this cycle signs {method}: the signature needs its file (the stamped scan, or the "
        "certified PDF)",
    ),
    RefusalCode.FILE_NOT_TAKEN: NC_(
        "refusal.file_not_taken",
        "this cycle signs in Komitmen: a signature takes no file",
    ),
    RefusalCode.STALE_DOCUMENT: NC_(
        "refusal.stale_document",
        "stale document: the hash does not match the approved version {version} ({hash})",
    ),
    RefusalCode.NO_SIGNATURE_PENDING: NC_(
        "refusal.no_signature_pending",
        "office '{office}' has no signature pending",
    ),
    RefusalCode.QUARTER_LOCKED: NC_(
        "refusal.quarter_locked",
        "quarter {quarter} is locked; reports can no longer be submitted",
    ),
    RefusalCode.REPORT_NOT_OPEN: NC_(
        "refusal.report_not_open",
        "the quarter {quarter} report opens on {opens} (WITA), in the quarter's last month; it "
        "cannot be submitted before",
    ),
    RefusalCode.REPORT_ALREADY: NC_(
        "refusal.report_already",
        "the quarter {quarter} report is already {state}",
    ),
    RefusalCode.ITEM_REPORTED_TWICE: NC_(
        "refusal.item_reported_twice",
        "an item is reported twice",
    ),
    RefusalCode.NO_SUCH_ITEM_REPORTED: NC_(
        "refusal.no_such_item_reported",
        "item {item} does not exist; the approved plan has {count} items",
    ),
    RefusalCode.NO_REPORT_WAITING: NC_(
        "refusal.no_report_waiting",
        "no quarter {quarter} report is waiting for verification",
    ),
    RefusalCode.VERIFY_INSTEAD: NC_(
        "refusal.verify_instead",
        "quarter {quarter} is locked; verify the report instead",
    ),
    RefusalCode.DEADLINE_NOT_APPLICABLE: NC_(
        "refusal.deadline_not_applicable",
        "deadline '{key}' does not apply now",
    ),
    RefusalCode.DEADLINE_LOCKED: NC_(
        "refusal.deadline_locked",
        "quarter {quarter} is locked; its deadlines can no longer move",
    ),
    RefusalCode.DEADLINE_MET: NC_(
        "refusal.deadline_met",
        "deadline '{key}' has been met; the commitment is in stage '{stage}'",
    ),
    RefusalCode.EXTENSION_NOT_LATER: NC_(
        "refusal.extension_not_later",
        "an extension must be later than the current deadline {current}",
    ),
    RefusalCode.EXTENSION_TOO_FAR: NC_(
        "refusal.extension_too_far",
        "an extension moves a deadline at most {days} days, to {latest}",
    ),
    RefusalCode.CYCLE_ROLE: NC_(
        "refusal.cycle_role",
        "role '{role}' may not cancel a cycle; needs coordinator",
    ),
    RefusalCode.CYCLE_ENDED: NC_("refusal.cycle_ended", "the cycle is already {status}"),
    RefusalCode.COMMITMENT_ENDED: NC_(
        "refusal.commitment_ended",
        "the commitment has ended (its last quarter locked, or it was withdrawn or cancelled) "
        "while this request was on its way",
    ),
    RefusalCode.NOT_PARTY_REVIEWER: NC_(
        "refusal.not_party_reviewer",
        "{name} does not review {regency}: the province's own plan is reviewed by its own "
        "reviewer, the regencies' plans by BPBD Provinsi's reviewers",
    ),
    RefusalCode.OUTSIDE_SCOPE: NC_(
        "refusal.outside_scope", "{name} ({role}) acts for regency {own} only"
    ),
    RefusalCode.ROLE_NOT_ALLOWED: NC_(
        "refusal.role_not_allowed", "role '{role}' may not do this; needs {roles}"
    ),
    RefusalCode.ACTING_NOT_ON_RECORD: NC_(
        "refusal.acting_not_on_record",
        "{name} signs as {acting} on record, not {claimed}; an acting status is recorded on "
        "the person by a coordinator, not claimed when signing",
    ),
    RefusalCode.COMMITMENT_CLOSED: NC_(
        "refusal.commitment_closed", "commitment {commitment} has ended ({stage})"
    ),
    RefusalCode.SCAN_TOO_LARGE: NC_(
        "refusal.scan_too_large", "the scan is {size} bytes; at most {limit} are accepted"
    ),
    RefusalCode.SCAN_EMPTY: NC_("refusal.scan_empty", "the scan is empty"),
    RefusalCode.PDF_INCOMPLETE: NC_(
        "refusal.pdf_incomplete", "the PDF is incomplete (no %%EOF at its end)"
    ),
    RefusalCode.SCAN_WRONG_TYPE: NC_(
        "refusal.scan_wrong_type",
        "the scan must be a PDF, PNG or JPEG file; its content is none of these",
    ),
    RefusalCode.WRONG_METHOD: NC_(
        "refusal.wrong_method", "cycle {cycle} signs {method}, not {wanted}"
    ),
    RefusalCode.TTE_NOT_CONFIGURED: NC_(
        "refusal.tte_not_configured", "certified signing is not configured here: {why}"
    ),
    RefusalCode.OFFICE_SIGNED_DOCUMENT: NC_(
        "refusal.office_signed_document", "office '{office}' has already signed this document"
    ),
    RefusalCode.STALE_DOCUMENT_HASH: NC_(
        "refusal.stale_document_hash",
        "stale document: the approved version's hash is {expected}, not {given}",
    ),
    RefusalCode.TTE_REFUSED: NC_("refusal.tte_refused", "the signing service refused: {message}"),
    RefusalCode.TTE_INVALID: NC_(
        "refusal.tte_invalid",
        "the signing service returned a PDF that does not validate: {reason}",
    ),
    RefusalCode.ACTING_NOT_FOR_OFFICE: NC_(
        "refusal.acting_not_for_office",
        "{mark} is not a way to hold office '{office}' (Permendagri 1/2023, Art. 44); "
        "allowed: {allowed}",
    ),
    RefusalCode.SK_REQUIRED: NC_(
        "refusal.sk_required", "an assignment needs the number of its decree (SK)"
    ),
    RefusalCode.OWN_TITLE_REQUIRED: NC_(
        "refusal.own_title_required",
        "signing a.n. needs the signer's own title, printed below the office's",
    ),
    RefusalCode.PERIOD_REVERSED: NC_(
        "refusal.period_reversed", "the period ends ({end}) before it starts ({start})"
    ),
    RefusalCode.ASSIGNMENT_OVERLAP: NC_(
        "refusal.assignment_overlap",
        "the period overlaps the assignment of {username} ({mark}, {start} to {end}, SK {sk}); "
        "end that one first",
    ),
    RefusalCode.EVIDENCE_NOT_OPEN: NC_(
        "refusal.evidence_not_open",
        "evidence is attached to quarterly reports once the plan is signed; quarter {quarter} "
        "has no report to attach to yet",
    ),
    RefusalCode.EVIDENCE_REPORT_SUBMITTED: NC_(
        "refusal.evidence_report_submitted",
        "the quarter {quarter} report is {state}: its evidence can no longer change",
    ),
    RefusalCode.EVIDENCE_ITEM_FULL: NC_(
        "refusal.evidence_item_full", "item {item} already has {limit} files, the most allowed"
    ),
    RefusalCode.EVIDENCE_REPORT_FULL: NC_(
        "refusal.evidence_report_full",
        "the quarter {quarter} report's files would exceed {limit} bytes together",
    ),
    RefusalCode.EVIDENCE_LISTED: NC_(
        "refusal.evidence_listed",
        "a report lists no files: attach them by uploading, and the report takes them",
    ),
    RefusalCode.NOT_REGENCY_SIGNATORY: NC_(
        "refusal.not_regency_signatory",
        "{username} is not an active signatory of regency {regency}",
    ),
    RefusalCode.EVIDENCE_EMPTY: NC_(
        "refusal.evidence_empty",
        "the file is empty; accepted are photos (JPEG, PNG), PDF, DOCX or XLSX files",
    ),
    RefusalCode.EVIDENCE_TOO_LARGE: NC_(
        "refusal.evidence_too_large",
        "the file is {size} bytes, more than the {limit} bytes allowed; send a smaller photo "
        "or split the document",
    ),
    RefusalCode.EVIDENCE_WRONG_TYPE: NC_(
        "refusal.evidence_wrong_type",
        "by its content the file is not a photo (JPEG, PNG), PDF, DOCX or XLSX file, or it "
        "holds macros; only these are accepted",
    ),
    RefusalCode.EVIDENCE_EXECUTABLE: NC_(
        "refusal.evidence_executable",
        "the file is a program, whatever its name; accepted are photos (JPEG, PNG), PDF, DOCX "
        "or XLSX files",
    ),
    RefusalCode.EVIDENCE_POLYGLOT: NC_(
        "refusal.evidence_polyglot",
        "the file hides other content inside it; accepted are plain photos (JPEG, PNG), PDF, "
        "DOCX or XLSX files, as a phone, a scanner or an office program saves them",
    ),
    RefusalCode.EVIDENCE_BOMB: NC_(
        "refusal.evidence_bomb",
        "the file unpacks to far too much to open safely (a photo of too many pixels, or a "
        "document that unpacks to over 100 MB); send a smaller photo or split the document",
    ),
    RefusalCode.EVIDENCE_DAMAGED: NC_(
        "refusal.evidence_damaged",
        "the file is damaged or cut off, perhaps not uploaded completely; send it again as a "
        "photo (JPEG, PNG), PDF, DOCX or XLSX file",
    ),
    RefusalCode.EVIDENCE_BAD_NAME: NC_(
        "refusal.evidence_bad_name",
        "the file name is not accepted: it is empty, longer than 200 characters, a folder "
        "path or holds control characters; rename the file and send it again",
    ),
    RefusalCode.VILLAGE_OUTSIDE_REGENCY: NC_(
        "refusal.village_outside_regency",
        "action {item}, Destana village {village}: the village is not in {regency} (its BPS "
        "code starts with {prefix})",
    ),
}


def refusal_text(code: str, params: Params, language: str = "id") -> str:
    """A refusal in the reader's language; a code or parameters this version does not know
    (from a newer or older worker) give a general sentence rather than a wrong one."""
    lang = normalize_language(language)
    general = "Permintaan ditolak." if lang == "id" else "The request was refused."
    try:
        return translate(_WORDS[RefusalCode(code)], lang).format(**params)
    except (ValueError, KeyError, IndexError):
        return general


def english_reason(code: RefusalCode, params: Params) -> str:
    """The English reason, as the JSON API's `detail` has always worded it."""
    return _WORDS[code].text.format(**params)


def refused(code: RefusalCode, **params: str | int) -> TransitionRefused:
    """The refusal of `code` with its parameters, its reason in English."""
    return TransitionRefused(english_reason(code, params), code.value, params)
