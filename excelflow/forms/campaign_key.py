"""Each campaign's own secret key, which signs the identity of every workbook it hands out.

The identity sheet says whose return a workbook is; anyone can unhide and edit it. So every
workbook a working folder hands out (reporting workbooks, rollups, plans) carries an HMAC-SHA256
of its identity under the folder's own key (`identity.sign`), and collection accepts an identity
only with a valid signature of this very campaign. The key lives with the clerk's own files,
`workbooks/campaign.key`, never in anything units receive; it is made by the first `generate`
(or `collect`) of a folder and kept for good (losing it means every workbook handed out so far
can no longer be told from a forgery: back it up with the register).

Folders made before signing existed handed out unsigned workbooks (identity format version 1).
When the key is first made in a folder that already has handed-out workbooks or an archive, it
records `accept_unsigned: true`: such workbooks keep being collected, each with a warning that
its identity could not be verified. In a folder that never handed out an unsigned workbook an
unsigned identity is refused (it can only come from another campaign of an older version, or
from an edit).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from excelflow.errors import WorkspaceError
from excelflow.files import shown, write_new
from excelflow.workspace import Workspace

KEY_VERSION = 1


@dataclass(frozen=True)
class CampaignKey:
    """A campaign's public id (written in every identity) and its secret (never written there)."""

    campaign: str
    secret: bytes
    accept_unsigned: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"version": KEY_VERSION, "campaign": self.campaign, "secret": self.secret.hex(),
                "accept_unsigned": self.accept_unsigned}

    @staticmethod
    def from_json(data: Any) -> CampaignKey:
        if not isinstance(data, dict) or data.get("version") != KEY_VERSION:
            raise ValueError("not a campaign key")
        campaign, secret = data["campaign"], bytes.fromhex(data["secret"])
        if not isinstance(campaign, str) or not campaign or len(secret) < 16:
            raise ValueError("not a campaign key")
        return CampaignKey(campaign, secret, bool(data.get("accept_unsigned", False)))

    @staticmethod
    def new(accept_unsigned: bool = False) -> CampaignKey:
        return CampaignKey(secrets.token_hex(8), secrets.token_bytes(32), accept_unsigned)


def load_key(ws: Workspace) -> CampaignKey | None:
    """The folder's key, or None when it has none yet. A damaged key file is an error (making a
    new one would disown every workbook already handed out)."""
    path = ws.campaign_key_path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise WorkspaceError(f"无法读取本工作文件夹的签名密钥 {shown(str(path))}:{exc.strerror or exc}。") from exc
    try:
        return CampaignKey.from_json(json.loads(text))
    except (ValueError, KeyError, TypeError) as exc:
        raise WorkspaceError(
            f"本工作文件夹的签名密钥 {shown(str(path))} 已损坏,无法核验各单位交回表格的标识。"
            "请从备份中恢复该文件(不要删除:删除后,已下发的填报表都将无法核验)。") from exc


def ensure_key(ws: Workspace) -> CampaignKey:
    """The folder's key, made now if it has none (see the module's note on unsigned workbooks)."""
    key = load_key(ws)
    if key is not None:
        return key
    handed_out = ws.archive.is_dir() or any(ws.outbox.glob("*/templates/*")) or ws.plans_dir.is_dir()
    key = CampaignKey.new(accept_unsigned=handed_out)
    # Made once: two commands making it at the same moment (two `generate`s) must not each sign
    # with a key of their own, so only the first is kept and the other reads it.
    if write_new(ws.campaign_key_path, (json.dumps(key.to_json(), indent=1) + "\n").encode("utf-8")):
        return key
    found = load_key(ws)
    if found is None:  # pragma: no cover - made and removed in between
        raise WorkspaceError(f"无法建立本工作文件夹的签名密钥 {shown(str(ws.campaign_key_path))},请重新运行。")
    return found
