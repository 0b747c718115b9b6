"""The page forms as data: what a form shows, and how its fields become a domain request.

Pure functions over the submitted fields, so they are tested without a server.
Field names: `item-<n>-<field>` for the action-plan editor (rows numbered from 1),
`comment-<position>` and `comment-general` for a change request, and
`progress-<position>-<field>` for a quarterly report. A field error is keyed by the
field's name, so the page shows it next to the input that caused it.

Numbers are read in the page's language by `domain.numbers.parse_number` before a
model sees them (`150.000.000` and `12,5` in Bahasa Indonesia), and put back into an
input by `domain.display.format_amount` in the same form, so that saving a version
again reads back the very same amounts. The JSON API keeps JSON numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ValidationError

from api.pages import i18n
from domain.commitment import ReviewComment
from domain.display import Language, format_amount
from domain.numbers import NumberRefused, parse_number
from domain.plan import ActionPlan
from domain.reports import QuarterlyReport

Fields = Mapping[str, Sequence[str]]
"""Submitted form fields: every value of each name, in order."""

ITEM_FIELDS = (
    "strategic_issue",
    "phase",
    "activity",
    "indicator",
    "target_value",
    "target_unit",
    "responsible_unit",
    "location",
    "budget_rp",
    "budget_source",
)
ITEM_LISTS = ("due_quarters", "partners")
# A row whose typed fields are all empty is the editor's spare row: it is skipped.
_TYPED = ("activity", "indicator", "target_value", "target_unit", "responsible_unit", "location")
PROGRESS_FIELDS = ("status", "percent_realised", "narrative", "evidence")
ITEM_NUMBERS = ("target_value", "budget_rp")
"""The editor's fields typed as numbers in the page's language."""

_MESSAGES: dict[Language, dict[str, str]] = {
    "id": {
        "missing": "Wajib diisi.",
        "string_too_short": "Wajib diisi.",
        "string_too_long": "Terlalu panjang.",
        "decimal_parsing": "Harus berupa angka.",
        "decimal_max_places": "Paling banyak dua angka di belakang koma.",
        "decimal_max_digits": "Angkanya terlalu besar.",
        "decimal_whole_digits": "Angkanya terlalu besar.",
        "greater_than_equal": "Tidak boleh kurang dari {ge}.",
        "less_than_equal": "Tidak boleh lebih dari {le}.",
        "enum": "Pilih salah satu pilihan.",
        "string_pattern_mismatch": "Isinya tidak berbentuk seperti yang diminta; muat ulang.",
        "int_parsing": "Harus berupa bilangan bulat, misalnya 2.",
        "too_short": "Pilih paling sedikit satu.",
        "url_parsing": "Tautan harus alamat web lengkap (https://...).",
        "url_scheme": "Tautan harus alamat web lengkap (https://...).",
        "items_required": "Isi paling sedikit satu aksi.",
        "comment_required": "Tulis paling sedikit satu catatan reviu.",
    },
    "en": {
        "missing": "Required.",
        "string_too_short": "Required.",
        "string_too_long": "Too long.",
        "decimal_parsing": "Must be a number.",
        "decimal_max_places": "At most two decimal places.",
        "decimal_max_digits": "The number is too large.",
        "decimal_whole_digits": "The number is too large.",
        "greater_than_equal": "Must not be less than {ge}.",
        "less_than_equal": "Must not be more than {le}.",
        "enum": "Choose one of the options.",
        "string_pattern_mismatch": "Not in the expected form; reload the page.",
        "int_parsing": "Must be a whole number, e.g. 2.",
        "too_short": "Choose at least one.",
        "url_parsing": "A link must be a full web address (https://...).",
        "url_scheme": "A link must be a full web address (https://...).",
        "items_required": "Fill in at least one action.",
        "comment_required": "Write at least one review comment.",
    },
}


class FormInvalid(Exception):
    """Some fields were wrong: `errors` maps each field name to what to fix."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(", ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


@dataclass
class ItemRow:
    """One row of the action-plan editor, as typed (strings), so it can be shown again."""

    number: int
    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[str]] = field(default_factory=dict)

    @property
    def blank(self) -> bool:
        """Whether nothing was typed in the row."""
        return not any(self.values.get(name, "").strip() for name in _TYPED)

    def payload(self) -> dict[str, Any]:
        """The row as the ActionItem model reads it."""
        values = {k: v.strip() for k, v in self.values.items() if v.strip()}
        lists = {name: [v for v in self.lists.get(name, []) if v] for name in ITEM_LISTS}
        return {**values, **lists}


def first(fields: Fields, name: str) -> str:
    """The first value submitted under `name`; "" if none."""
    values = fields.get(name) or [""]
    return values[0]


def text_fields(submitted: Iterable[tuple[str, Any]]) -> dict[str, list[str]]:
    """A submitted form's text fields, every value of each name in order (files left out:
    the routes that take them read them from the form itself)."""
    fields: dict[str, list[str]] = defaultdict(list)
    for name, value in submitted:
        if isinstance(value, str):
            fields[name].append(value)
    return fields


def rows_from_items(items: Iterable[Any], lang: Language) -> list[ItemRow]:
    """Editor rows holding a saved version's items (database rows or ActionItems).

    Amounts are written as the page reads them back ("150.000.000", "12,50" in
    Bahasa Indonesia), so saving the rows unchanged records the same amounts.
    """
    rows = []
    for number, item in enumerate(items, start=1):
        values = {name: str(getattr(item, name)) for name in ITEM_FIELDS}
        for name in ITEM_NUMBERS:
            values[name] = format_amount(getattr(item, name), lang)
        lists = {name: [str(v) for v in getattr(item, name)] for name in ITEM_LISTS}
        rows.append(ItemRow(number=number, values=values, lists=lists))
    return rows


def report_fields(quarter: int, items: Iterable[Mapping[str, Any]], lang: Language) -> Fields:
    """A saved report's items as the report form's fields, to correct a returned report."""
    fields: dict[str, list[str]] = {"quarter": [str(quarter)]}
    for item in items:
        prefix = f"progress-{item['item_position']}-"
        fields[prefix + "status"] = [str(item["status"])]
        fields[prefix + "percent_realised"] = [
            format_amount(Decimal(str(item["percent_realised"])), lang)
        ]
        fields[prefix + "narrative"] = [str(item.get("narrative", ""))]
        fields[prefix + "evidence"] = ["\n".join(str(e) for e in item.get("evidence", ()))]
    return fields


def _read_number(
    values: dict[str, Any], name: str, field_name: str, lang: Language, errors: dict[str, str]
) -> None:
    """Replace `values[name]` by the number typed there; a refusal goes to `errors`.

    A refused value is dropped, so the model does not judge the text a second time.
    """
    if name not in values:
        return  # nothing typed: the model says whether the field is required
    try:
        values[name] = parse_number(values[name], lang)
    except NumberRefused as refused:
        errors[field_name] = refused.message(lang)
        del values[name]


def rows_from_fields(fields: Fields) -> list[ItemRow]:
    """The editor's rows as submitted, in row order, rows marked for removal left out."""
    numbers = sorted(
        {int(name.split("-")[1]) for name in fields if _is_item_field(name)},
    )
    rows = []
    for number in numbers:
        prefix = f"item-{number}-"
        if first(fields, prefix + "remove"):
            continue
        values = {name: first(fields, prefix + name) for name in ITEM_FIELDS}
        lists = {name: list(fields.get(prefix + name, [])) for name in ITEM_LISTS}
        rows.append(ItemRow(number=number, values=values, lists=lists))
    return rows


SPARE_ROWS = 3
"""Empty rows the editor offers for new actions, so several are added with one save."""


def with_spare_rows(rows: Sequence[ItemRow]) -> tuple[list[ItemRow], list[ItemRow]]:
    """The rows with something typed, and SPARE_ROWS empty ones numbered after them.

    Rows sent back empty are dropped, so a rejected form does not grow by the spare rows.
    """
    filled = [row for row in rows if not row.blank]
    first = max((row.number for row in filled), default=0) + 1
    return filled, [ItemRow(number=n) for n in range(first, first + SPARE_ROWS)]


CONFIRM = "confirm"
"""The signing forms' checkbox: the signer has read the plan and agrees with it."""


def require_confirmation(ticked: bool, lang: Language) -> None:
    """FormInvalid, keyed by the checkbox, unless the signer ticked the confirmation."""
    if not ticked:
        raise FormInvalid({CONFIRM: i18n.TEXT[lang]["confirm_required"]})


def _is_item_field(name: str) -> bool:
    parts = name.split("-", 2)
    return len(parts) == 3 and parts[0] == "item" and parts[1].isdigit()


def plan_from_rows(rows: Sequence[ItemRow], lang: Language) -> ActionPlan:
    """The action plan the filled rows describe; FormInvalid names each wrong field."""
    filled = [row for row in rows if not row.blank]
    if not filled:
        raise FormInvalid({"items": _MESSAGES[lang]["items_required"]})
    refused: dict[str, str] = {}
    payloads = []
    for row in filled:
        payload = row.payload()
        for name in ITEM_NUMBERS:
            _read_number(payload, name, f"item-{row.number}-{name}", lang, refused)
        payloads.append(payload)
    try:
        plan = ActionPlan.model_validate({"items": payloads})
    except ValidationError as invalid:
        found = _invalid(invalid, lang, "item", [row.number for row in filled]).errors
        # A refused number's own message says more than "required" for the dropped value.
        raise FormInvalid({**found, **refused}) from None
    if refused:
        raise FormInvalid(refused)
    return plan


def comments_from_fields(
    fields: Fields, positions: Iterable[int], lang: Language
) -> tuple[ReviewComment, ...]:
    """The review comments typed per item and in general; FormInvalid if there are none."""
    comments = []
    general = first(fields, "comment-general").strip()
    if general:
        comments.append(ReviewComment(item_position=None, text=general[:2000]))
    for position in positions:
        text = first(fields, f"comment-{position}").strip()
        if text:
            comments.append(ReviewComment(item_position=position, text=text[:2000]))
    if not comments:
        raise FormInvalid({"comment-general": _MESSAGES[lang]["comment_required"]})
    return tuple(comments)


def report_from_fields(
    fields: Fields, quarter: int, positions: Iterable[int], lang: Language
) -> QuarterlyReport:
    """A quarter's report from the progress rows; FormInvalid names each wrong field."""
    items = []
    refused: dict[str, str] = {}
    numbered = list(positions)
    for position in numbered:
        prefix = f"progress-{position}-"
        evidence = [line.strip() for line in first(fields, prefix + "evidence").splitlines()]
        item: dict[str, Any] = {
            "item_position": position,
            "status": first(fields, prefix + "status"),
            "narrative": first(fields, prefix + "narrative"),
            "evidence": [line for line in evidence if line],
        }
        # The label says "(%)", so "40%" is what some will type: the sign is dropped.
        percent = first(fields, prefix + "percent_realised").strip().removesuffix("%")
        if percent.strip():
            item["percent_realised"] = percent
            _read_number(item, "percent_realised", prefix + "percent_realised", lang, refused)
        items.append(item)
    try:
        report = QuarterlyReport.model_validate({"quarter": quarter, "items": items})
    except ValidationError as invalid:
        found = _invalid(invalid, lang, "progress", numbered).errors
        raise FormInvalid({**found, **refused}) from None
    if refused:
        raise FormInvalid(refused)
    return report


def model_or_invalid(model: type[BaseModel], data: dict[str, Any], lang: Language) -> Any:
    """Validate a small form against a model; FormInvalid keyed by field name."""
    try:
        return model.model_validate(data)
    except ValidationError as invalid:
        raise _invalid(invalid, lang) from None


def _invalid(
    invalid: ValidationError, lang: Language, prefix: str = "", numbers: Sequence[int] = ()
) -> FormInvalid:
    """Name each error by its form field: `<prefix>-<row number>-<field>` for list rows."""
    errors: dict[str, str] = {}
    found = invalid.errors()
    for error in found:
        loc = error["loc"]
        # When every row fails, the list is also "too short"; the rows' own errors say why.
        if prefix and loc == ("items",) and error["type"] == "too_short" and len(found) > 1:
            continue
        if prefix and len(loc) >= 3 and isinstance(loc[1], int):
            name = f"{prefix}-{numbers[loc[1]]}-{loc[2]}"
        else:
            name = str(loc[0]) if loc else "form"
        errors.setdefault(name, _message(error, lang))
    return FormInvalid(errors)


def _message(error: Any, lang: Language) -> str:
    template = _MESSAGES[lang].get(error["type"])
    if template is None:
        return str(error["msg"])
    return template.format(**(error.get("ctx") or {}))
