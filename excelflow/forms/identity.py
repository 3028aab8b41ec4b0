"""The identity a generated workbook carries, so a return is known whatever its file name.

Every workbook excelflow hands out (a unit's reporting workbook, a lead unit's rollup, a plan
workbook) has a very-hidden sheet `_excelflow`. calamine cannot read defined names or document
properties, but it reads cells of hidden sheets in .xlsx, .xls and .ods alike, and LibreOffice,
Excel and WPS keep such a sheet when they save. Layout (1-based rows, columns A–F):

    row 1   excelflow-identity | <format version>
    row 2   kind               | report | rollup | plan
    row 3   unit               | <canonical unit name>
    row 4   round              | <round id>
    row 5   template_version   | <hex digest of template + register>
    row 6   generated_at       | <ISO time>
    row 7   campaign | <campaign id> | mac | <HMAC-SHA256, hex>              (format version 2)
    row 8   sheet | sheet_index | role | row | task_id | fingerprint      (header)
    row 9…  one line per entry row of the data sheets

`fingerprint` is a digest of the locked (pre-filled) cells of that row, so collection can tell a
return whose task text was edited, or that was filled on a stale template. The `mac` signs every
field above and every entry line under the campaign's secret key (`campaign_key.py`), so an
identity edited to name another unit, round or row, or copied from another campaign's folder, is
told apart from a genuine one (`verify`). Format version 1 (before signing) has no row 7.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from excelflow.forms.campaign_key import CampaignKey
from excelflow.register.model import Role
from excelflow.xlsx import write_cells

IDENTITY_SHEET = "_excelflow"
MAGIC = "excelflow-identity"
FORMAT_VERSION = 2  # 2: signed (campaign and mac in row 7); 1: unsigned, read as such
_CAMPAIGN_ROW = 6  # 0-based index of row 7
Kind = Literal["report", "rollup", "plan"]
_HEADER = ("sheet", "sheet_index", "role", "row", "task_id", "fingerprint")
_FIRST_ROW = 8  # 0-based index of the first entry line (row 9)


@dataclass(frozen=True)
class EntryRow:
    """Where one entry sits in the generated workbook (row is 1-based, as Excel shows it)."""

    sheet: str
    sheet_index: int
    role: Role
    row: int
    task_id: int
    fingerprint: str


@dataclass(frozen=True)
class Identity:
    kind: Kind
    unit: str
    round_id: str
    template_version: str
    generated_at: str
    rows: tuple[EntryRow, ...]
    version: int = FORMAT_VERSION
    campaign: str = ""  # the campaign id of the folder that handed it out ('' if unsigned)
    mac: str = ""  # HMAC-SHA256 of `signed_text()` under that campaign's key ('' if unsigned)

    def signed_text(self) -> bytes:
        """What the mac covers: every field and every entry line, in a fixed form (numbers as
        integers, so a workbook saved by another office suite signs the same)."""
        head = ["excelflow-identity-mac", str(self.version), self.kind, self.unit.strip(), self.round_id.strip(),
                self.campaign.strip(), self.template_version.strip(), self.generated_at.strip()]
        lines = ["\x1e".join([e.sheet, str(e.sheet_index), e.role, str(e.row), str(e.task_id), e.fingerprint.strip()])
                 for e in self.rows]
        return "\x1f".join(head + lines).encode("utf-8", "surrogatepass")


def sign(identity: Identity, key: CampaignKey) -> Identity:
    """`identity` as version 2, of `key`'s campaign, with its mac."""
    unsigned = replace(identity, version=FORMAT_VERSION, campaign=key.campaign, mac="")
    mac = hmac.new(key.secret, unsigned.signed_text(), hashlib.sha256).hexdigest()
    return replace(unsigned, mac=mac)


Verdict = Literal["signed", "unsigned", "other_campaign", "forged"]


def verify(identity: Identity, key: CampaignKey) -> Verdict:
    """Whether `identity` was handed out by `key`'s campaign, unchanged: `signed` (yes),
    `unsigned` (format version 1, cannot tell), `other_campaign`, or `forged` (edited, or
    signed by no key of this campaign)."""
    if identity.version < 2 or not identity.mac:
        return "unsigned"
    if identity.campaign != key.campaign:
        return "other_campaign"
    expected = hmac.new(key.secret, replace(identity, mac="").signed_text(), hashlib.sha256).hexdigest()
    return "signed" if hmac.compare_digest(expected, identity.mac.lower()) else "forged"


def fingerprint(values: Iterable[Any]) -> str:
    """Digest of a row's locked cells; numbers are written the way calamine reads them back."""
    text = "\x1f".join(_canonical(v) for v in values)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _canonical(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip().replace("\r\n", "\n")


def write_identity(workbook: Any, identity: Identity, key: CampaignKey | None = None) -> Identity:
    """Add the very-hidden identity sheet to an open xlsxwriter `Workbook`, signed with `key`
    (unsigned, format version 1, without one: what tools without a working folder write);
    returns the identity as written."""
    identity = sign(identity, key) if key is not None else replace(identity, version=1, campaign="", mac="")
    sheet = workbook.add_worksheet(IDENTITY_SHEET)
    head = [
        (MAGIC, identity.version),
        ("kind", identity.kind),
        ("unit", identity.unit),
        ("round", identity.round_id),
        ("template_version", identity.template_version),
        ("generated_at", identity.generated_at),
    ]
    # Row by row through `write_cells` (a rollup or workbook has one identity row per entry): the
    # same cells, in the same order, as a `write_string`/`write_number` each.
    for r, (label, value) in enumerate(head):
        write_cells(sheet, r, 0, [(label, None), (value, None)])
    if identity.mac:
        # (`write_row` wrote an empty text as no cell at all: None here.)
        write_cells(sheet, _CAMPAIGN_ROW, 0, [("campaign", None), (identity.campaign or None, None), ("mac", None),
                                              (identity.mac, None)])
    write_cells(sheet, _FIRST_ROW - 1, 0, [(h, None) for h in _HEADER])
    for r, e in enumerate(identity.rows, start=_FIRST_ROW):
        write_cells(sheet, r, 0, [(e.sheet, None), (e.sheet_index, None), (e.role, None), (e.row, None),
                                  (e.task_id, None), (e.fingerprint, None)])
    sheet.protect()
    sheet.very_hidden()
    return identity


class IdentityUnreadable(ValueError):
    """The identity sheet exists but does not parse; the message says why (Chinese)."""


def read_identity(rows: Sequence[Sequence[Any]]) -> Identity:
    """Parse the identity sheet's cell values as calamine returns them (floats, '' for empty).

    Raises `IdentityUnreadable` when the sheet is not an identity sheet or was damaged.
    """
    def cell(r: int, c: int) -> Any:
        if r < len(rows) and c < len(rows[r]):
            return rows[r][c]
        return ""

    if str(cell(0, 0)).strip() != MAGIC:
        raise IdentityUnreadable("标识工作表不是 excelflow 生成的")
    head = {str(cell(r, 0)).strip(): cell(r, 1) for r in range(1, 6)}
    kinds: dict[str, Kind] = {"report": "report", "rollup": "rollup", "plan": "plan"}
    written_kind = str(head.get("kind", "")).strip()
    if written_kind not in kinds:
        raise IdentityUnreadable(f"标识工作表的类型「{written_kind}」无法识别")
    kind = kinds[written_kind]
    entries: list[EntryRow] = []
    for r in range(_FIRST_ROW, len(rows)):
        if all(str(v).strip() == "" for v in rows[r]):
            continue
        try:
            written = str(cell(r, 2)).strip()
            if written not in ("lead", "co"):
                raise ValueError(written)
            role: Role = "lead" if written == "lead" else "co"
            entries.append(EntryRow(
                sheet=str(cell(r, 0)),
                sheet_index=int(float(cell(r, 1))),
                role=role,
                row=int(float(cell(r, 3))),
                task_id=int(float(cell(r, 4))),
                fingerprint=str(cell(r, 5)).strip(),
            ))
        except (TypeError, ValueError) as exc:
            raise IdentityUnreadable(f"标识工作表第 {r + 1} 行已损坏") from exc
    try:
        version = int(float(cell(0, 1)))
    except (TypeError, ValueError):
        version = 1
    signed = str(cell(_CAMPAIGN_ROW, 0)).strip() == "campaign" and str(cell(_CAMPAIGN_ROW, 2)).strip() == "mac"
    return Identity(
        kind=kind,
        unit=str(head.get("unit", "")).strip(),
        round_id=str(head.get("round", "")).strip(),
        template_version=str(head.get("template_version", "")).strip(),
        generated_at=_text(head.get("generated_at", "")),
        rows=tuple(entries),
        version=version,
        campaign=str(cell(_CAMPAIGN_ROW, 1)).strip() if signed else "",
        mac=str(cell(_CAMPAIGN_ROW, 3)).strip() if signed else "",
    )


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
