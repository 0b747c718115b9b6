"""The page forms as data: what a form shows, and how its fields become a domain request.

Pure functions over the submitted fields, so they are tested without a server.
Field names: `item-<n>-<field>` for the action-plan editor (rows numbered from 1),
`comment-<position>` and `comment-general` for a change request, and
`progress-<position>-<field>` for a quarterly report. A field error is keyed by the
field's name, so the page shows it next to the input that caused it.

An editor row's newer fields (`docs/outcomes.md`): `baseline`, `target_q1`..`target_q4`
(cumulative, typed as numbers, all four empty for none), the outcome links `spm` (a
checkbox per service) with `spm_sipd-<service>` (its SIPD code), `ikd-<k>-priority` and
`ikd-<k>-indicator`, `sendai` (a checkbox per target), `destana-<k>-village_code`,
`-level` and `-scheme`, and the hidden `carried_cycle`, `carried_position` and
`carried_percent` that keep a carried-over item's origin through the round trip. A
sub-row left empty is skipped, like the editor's spare rows.

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
from domain.words import NC_, by_language
from services import item_details

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
OUTCOME_LISTS = ("spm", "sendai")
"""The outcome links chosen by ticking: SPM services and Sendai targets."""
TARGET_FIELDS = ("target_q1", "target_q2", "target_q3", "target_q4")
"""The four cumulative quarter targets (TW I-IV), typed as numbers."""
CARRIED_FIELDS = ("carried_cycle", "carried_position", "carried_percent")
"""Hidden: where a carried-over item comes from, kept through the form."""
IKD_ROWS = 2
"""IKD rows the editor offers at least (one more than those filled, if more)."""
DESTANA_ROWS = 3
"""Destana village rows the editor offers at least (one more than those filled, if more)."""
_MOST = {"ikd": 20, "destana": 50}  # as domain.outcomes.Outcomes allows
# A row whose typed fields are all empty is the editor's spare row: it is skipped.
_TYPED = ("activity", "indicator", "target_value", "target_unit", "responsible_unit", "location")
PROGRESS_FIELDS = (
    "status",
    "percent_realised",
    "narrative",
    "realised_rp",
    "obstacles",
    "follow_up",
    "evidence",
)
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
        "int_type": "Harus berupa bilangan bulat, misalnya 2.",
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
        "int_type": "Must be a whole number, e.g. 2.",
    },
}


FIELD_WORDS = {
    "sipd_shape": NC_(
        "form.sipd_shape", "A SIPD sub-activity code reads 1.05.03.2.xx, e.g. 1.05.03.2.01."
    ),
    "village_shape": NC_(
        "form.village_shape", "A village's BPS code has 10 digits, e.g. 5303010001."
    ),
    "targets_cumulative": NC_(
        "form.targets_cumulative",
        "Quarterly targets are cumulative: none may be below an earlier quarter's.",
    ),
    "spm_unknown": NC_("form.spm_unknown", "Choose one of the three SPM services."),
    "ikd_priority": NC_("form.ikd_priority", "IKD priorities are 1 to 7."),
    "ikd_indicator": NC_("form.ikd_indicator", "IKD indicators are numbered 1 to 71."),
    "sendai_unknown": NC_("form.sendai_unknown", "Sendai targets are A to G."),
    "destana_level": NC_(
        "form.destana_level", "Choose the Destana level: Pratama, Madya or Utama."
    ),
    "destana_scheme": NC_("form.destana_scheme", "Choose one of the Destana schemes."),
    "listed_twice": NC_("form.listed_twice", "Listed twice: keep one."),
}
"""What the editor says of a wrong outcome link or quarter target, by what is wrong."""
FIELD_MESSAGES: dict[Language, dict[str, str]] = by_language(FIELD_WORDS)


def _outcome_message(loc: Sequence[Any], kind: str) -> str | None:
    """Which FIELD_WORDS says what is wrong at `loc` (inside an item), if one does."""
    parts = [part for part in loc if isinstance(part, str)]
    last = parts[-1] if parts else ""
    if kind == "string_pattern_mismatch" and last in ("sipd_code", "village_code"):
        return "sipd_shape" if last == "sipd_code" else "village_shape"
    if kind != "value_error":
        return None
    if "quarter_targets" in parts:
        return "targets_cumulative"
    by_last = {
        "service": "spm_unknown",
        "priority": "ikd_priority",
        "indicator": "ikd_indicator",
        "level": "destana_level",
        "scheme": "destana_scheme",
        "sendai": "sendai_unknown",
    }
    if last in by_last:
        return by_last[last]
    if last in ("spm", "ikd", "destana"):
        return "listed_twice"
    return None


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

    def value(self, name: str) -> str:
        """What was typed in one of the row's fields, stripped; "" for nothing."""
        return self.values.get(name, "").strip()

    def _filled(self, kind: str) -> int:
        """The highest numbered `<kind>-<k>-...` sub-row with anything typed; 0 for none."""
        numbers = [
            int(name.split("-")[1])
            for name, typed in self.values.items()
            if name.startswith(kind + "-") and name.split("-")[1].isdigit() and typed.strip()
        ]
        return max(numbers, default=0)

    def sub_rows(self, kind: str) -> list[int]:
        """The numbers of the IKD or Destana rows to show: those filled and one more, and
        at least IKD_ROWS or DESTANA_ROWS."""
        least = IKD_ROWS if kind == "ikd" else DESTANA_ROWS
        return list(range(1, min(_MOST[kind], max(least, self._filled(kind) + 1)) + 1))

    @property
    def linked(self) -> bool:
        """Whether any outcome link is typed or ticked (the editor then shows them open)."""
        ticked = any(self.lists.get(name) for name in OUTCOME_LISTS)
        return ticked or bool(self._filled("ikd") or self._filled("destana"))

    @property
    def carried(self) -> bool:
        """Whether the row is an item carried over from an earlier cycle."""
        return bool(self.value("carried_cycle"))

    def carried_text(self, lang: Language) -> str:
        """The carried-over mark as the editor shows it."""
        percent = self.value("carried_percent")
        try:
            shown = format_amount(Decimal(percent), lang)
        except ArithmeticError:
            shown = percent
        return item_details.WORDS[lang]["carried"].format(
            cycle=self.value("carried_cycle"), percent=shown
        )


def field_kind(name: str) -> str:
    """What an editor field is, without its sub-row's number: "destana-2-level" is a
    "destana_level", "target_q3" a "quarter_target", "spm_sipd-spm1" a "sipd_code"."""
    if name.startswith("target_q"):
        return "quarter_target"
    if name.startswith("spm_sipd-"):
        return "sipd_code"
    parts = name.split("-")
    if len(parts) == 3 and parts[0] in ("ikd", "destana") and parts[1].isdigit():
        return f"{parts[0]}_{parts[2]}"
    return name


def realised_share(typed: str, budget_rp: Any, lang: Language) -> str | None:
    """What the typed budget realised is as a share of the budget ("25 % dari pagu"), as
    the report form shows it; None when nothing readable is typed."""
    try:
        realised = parse_number(typed, lang) if typed.strip() else None
    except NumberRefused:
        return None
    return item_details.realised_text(realised, budget_rp, lang)


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
        _newer_fields(item, lang, values, lists)
        rows.append(ItemRow(number=number, values=values, lists=lists))
    return rows


def _newer_fields(
    item: Any, lang: Language, values: dict[str, str], lists: dict[str, list[str]]
) -> None:
    """A saved item's baseline, quarter targets, outcome links and carried-over origin, as
    the editor's fields hold them."""
    baseline = item_details.baseline_of(item)
    if baseline is not None:
        values["baseline"] = format_amount(baseline, lang)
    for name, target in zip(TARGET_FIELDS, item_details.quarter_targets_of(item), strict=False):
        values[name] = "" if target is None else format_amount(target, lang)
    carried = item_details.carried_of(item)
    if carried is not None:
        values["carried_cycle"] = carried.cycle_id
        values["carried_position"] = str(carried.position)
        values["carried_percent"] = str(carried.realised_percent)
    outcomes = item_details.outcomes_of(item)
    lists["spm"] = [link.service for link in outcomes.spm]
    for link in outcomes.spm:
        values[f"spm_sipd-{link.service}"] = link.sipd_code or ""
    for k, ikd in enumerate(outcomes.ikd, start=1):
        values[f"ikd-{k}-priority"] = str(ikd.priority)
        values[f"ikd-{k}-indicator"] = "" if ikd.indicator is None else str(ikd.indicator)
    lists["sendai"] = list(outcomes.sendai)
    for k, village in enumerate(outcomes.destana, start=1):
        values[f"destana-{k}-village_code"] = village.village_code
        values[f"destana-{k}-level"] = village.level
        values[f"destana-{k}-scheme"] = village.scheme


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
        realised = item.get("realised_rp")
        fields[prefix + "realised_rp"] = [
            "" if realised is None else format_amount(Decimal(str(realised)), lang)
        ]
        fields[prefix + "obstacles"] = [str(item.get("obstacles", ""))]
        fields[prefix + "follow_up"] = [str(item.get("follow_up", ""))]
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
        # The newer fields and the outcome sub-rows, whatever their number.
        for name in fields:
            rest = name.removeprefix(prefix)
            if name.startswith(prefix) and rest not in (*ITEM_LISTS, *OUTCOME_LISTS):
                values.setdefault(rest, first(fields, name))
        lists = {
            name: list(fields.get(prefix + name, [])) for name in (*ITEM_LISTS, *OUTCOME_LISTS)
        }
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


Loc = tuple[str | int, ...]
"""Where pydantic locates an error inside one item, e.g. ("outcomes", "destana", 0, "level")."""


def _whole(text: str) -> int | str:
    """A typed whole number as an int; anything else as typed, for the model to refuse."""
    return int(text) if text.isdigit() and len(text) < 10 else text


def item_payload(
    row: ItemRow, lang: Language, refused: dict[str, str]
) -> tuple[dict[str, Any], dict[Loc, str]]:
    """The row as the ActionItem model reads it, numbers read in the page's language (a
    refused one goes to `refused`), and the form field of each place an error may arise."""
    p = f"item-{row.number}-"
    payload: dict[str, Any] = {name: row.value(name) for name in ITEM_FIELDS if row.value(name)}
    payload |= {name: [v for v in row.lists.get(name, []) if v] for name in ITEM_LISTS}
    for name in ITEM_NUMBERS:
        _read_number(payload, name, p + name, lang, refused)
    names: dict[Loc, str] = {
        ("quarter_targets",): p + "quarter_targets",
        ("carried_from",): p + "carried",
        ("outcomes",): p + "outcomes",
    }
    if row.value("baseline"):
        payload["baseline"] = row.value("baseline")
        _read_number(payload, "baseline", p + "baseline", lang, refused)
    if any(row.value(name) for name in TARGET_FIELDS):
        targets: list[Any] = []
        for k, name in enumerate(TARGET_FIELDS):
            names[("quarter_targets", k)] = p + name
            typed = {"value": row.value(name)} if row.value(name) else {}
            _read_number(typed, "value", p + name, lang, refused)
            targets.append(typed.get("value"))
        payload["quarter_targets"] = targets
    if row.carried:
        payload["carried_from"] = {
            "cycle_id": row.value("carried_cycle"),
            "position": _whole(row.value("carried_position")),
            "realised_percent": row.value("carried_percent"),
        }
    outcomes = _outcomes_payload(row, names)
    if outcomes:
        payload["outcomes"] = outcomes
    return payload, names


def _outcomes_payload(row: ItemRow, names: dict[Loc, str]) -> dict[str, Any]:
    """The row's outcome links as `domain.outcomes.Outcomes` reads them; `names` learns the
    form field of each link's every part."""
    p = f"item-{row.number}-"
    spm: list[dict[str, Any]] = []
    names[("outcomes", "spm")] = p + "spm"
    ticked = row.lists.get("spm", [])
    # A SIPD code typed for a service links it, ticked or not: nothing typed is dropped.
    typed = [
        name.removeprefix("spm_sipd-")
        for name, value in row.values.items()
        if name.startswith("spm_sipd-") and value.strip()
    ]
    for service in dict.fromkeys([*ticked, *typed]):
        link = {"service": service}
        sipd = row.value(f"spm_sipd-{service}")
        if sipd:
            link["sipd_code"] = sipd
        names[("outcomes", "spm", len(spm))] = p + "spm"
        names[("outcomes", "spm", len(spm), "sipd_code")] = p + f"spm_sipd-{service}"
        spm.append(link)
    ikd: list[dict[str, Any]] = []
    names[("outcomes", "ikd")] = p + "ikd"
    for k in range(1, _MOST["ikd"] + 1):
        priority, indicator = row.value(f"ikd-{k}-priority"), row.value(f"ikd-{k}-indicator")
        if not (priority or indicator):
            continue
        link_fields: dict[str, Any] = {}
        if priority:
            link_fields["priority"] = _whole(priority)
        if indicator:
            link_fields["indicator"] = _whole(indicator)
        for part in ("priority", "indicator"):
            names[("outcomes", "ikd", len(ikd), part)] = p + f"ikd-{k}-{part}"
        names[("outcomes", "ikd", len(ikd))] = p + f"ikd-{k}-priority"
        ikd.append(link_fields)
    destana: list[dict[str, Any]] = []
    names[("outcomes", "destana")] = p + "destana"
    for k in range(1, _MOST["destana"] + 1):
        code, level = row.value(f"destana-{k}-village_code"), row.value(f"destana-{k}-level")
        if not (code or level):
            continue
        village = {"village_code": code, "level": level}
        scheme = row.value(f"destana-{k}-scheme")
        if scheme:
            village["scheme"] = scheme
        for part in ("village_code", "level", "scheme"):
            names[("outcomes", "destana", len(destana), part)] = p + f"destana-{k}-{part}"
        names[("outcomes", "destana", len(destana))] = p + f"destana-{k}-village_code"
        destana.append(village)
    sendai = [code for code in row.lists.get("sendai", []) if code]
    names[("outcomes", "sendai")] = p + "sendai"
    found = {"spm": spm, "ikd": ikd, "sendai": sendai, "destana": destana}
    return {kind: links for kind, links in found.items() if links}


def item_field(rows: Sequence[ItemRow], path: Loc, lang: Language) -> str:
    """The editor field of a place in the plan (("items", 0, "outcomes", ...)), the filled
    rows numbered as `plan_from_rows` numbers them."""
    filled = [row for row in rows if not row.blank]
    index = path[1] if len(path) > 1 else None
    if not isinstance(index, int) or not 0 <= index < len(filled):
        return "items"
    row = filled[index]
    _, names = item_payload(row, lang, {})
    return _named(names, tuple(path[2:]), f"item-{row.number}-")


def _named(names: dict[Loc, str], rest: Loc, prefix: str) -> str:
    """The form field of the longest part of `rest` that `names` knows, else the field the
    location starts with."""
    for end in range(len(rest), 0, -1):
        if rest[:end] in names:
            return names[rest[:end]]
    return f"{prefix}{rest[0]}" if rest else prefix.rstrip("-")


def plan_from_rows(rows: Sequence[ItemRow], lang: Language) -> ActionPlan:
    """The action plan the filled rows describe; FormInvalid names each wrong field."""
    filled = [row for row in rows if not row.blank]
    if not filled:
        raise FormInvalid({"items": _MESSAGES[lang]["items_required"]})
    refused: dict[str, str] = {}
    payloads = []
    names = []
    for row in filled:
        payload, named = item_payload(row, lang, refused)
        payloads.append(payload)
        names.append(named)
    try:
        plan = ActionPlan.model_validate({"items": payloads})
    except ValidationError as invalid:
        found = _invalid(invalid, lang, "item", [row.number for row in filled], names).errors
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
            "obstacles": first(fields, prefix + "obstacles"),
            "follow_up": first(fields, prefix + "follow_up"),
            "evidence": [line for line in evidence if line],
        }
        if first(fields, prefix + "realised_rp").strip():
            item["realised_rp"] = first(fields, prefix + "realised_rp")
            _read_number(item, "realised_rp", prefix + "realised_rp", lang, refused)
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
    invalid: ValidationError,
    lang: Language,
    prefix: str = "",
    numbers: Sequence[int] = (),
    names: Sequence[dict[Loc, str]] = (),
) -> FormInvalid:
    """Name each error by its form field: `<prefix>-<row number>-<field>` for list rows,
    or the field `names` gives a row's place (an outcome link's part, a quarter target)."""
    errors: dict[str, str] = {}
    found = invalid.errors()
    for error in found:
        loc = error["loc"]
        # When every row fails, the list is also "too short"; the rows' own errors say why.
        if prefix and loc == ("items",) and error["type"] == "too_short" and len(found) > 1:
            continue
        if prefix and len(loc) >= 3 and isinstance(loc[1], int):
            row_prefix = f"{prefix}-{numbers[loc[1]]}-"
            known = names[loc[1]] if loc[1] < len(names) else {}
            name = _named(known, tuple(loc[2:]), row_prefix)
        else:
            name = str(loc[0]) if loc else "form"
        specific = _outcome_message(loc, error["type"]) if prefix == "item" else None
        message = FIELD_MESSAGES[lang][specific] if specific else _message(error, lang)
        errors.setdefault(name, message)
    return FormInvalid(errors)


def _message(error: Any, lang: Language) -> str:
    template = _MESSAGES[lang].get(error["type"])
    if template is None:
        return str(error["msg"])
    return template.format(**(error.get("ctx") or {}))
