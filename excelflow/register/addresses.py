"""(register) E-mail addresses as a clerk types them in the 单位 sheet's 邮箱 column.

Several per unit are allowed (an office mailbox and the contact's own), separated the way people
separate them in one cell: `、` `,` `;` (either width), spaces or line breaks. Each is checked for
the shape `local@domain.tld` only; whether it exists is the mail server's to say (`excelflow mail
send` records a refusal per address and goes on).
"""

from __future__ import annotations

import re
import unicodedata

_SPLIT = re.compile(r"[、,;，；\s]+")
# Deliberately plain: ASCII local part and domain (government and commercial mailboxes in China
# use these); a typo such as a missing dot or a Chinese comma inside is what this catches.
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                      r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")


def split_addresses(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(addresses, what does not look like one) from one cell; order kept, duplicates dropped.

    Full-width characters are folded first (`ｇｘｊ＠ｇｆ．ｇｏｖ．ｃｎ` typed with a Chinese input
    method is an address), and a `<…>` around an address is dropped (pasted from a mail client).
    """
    folded = unicodedata.normalize("NFKC", text or "")
    good: list[str] = []
    bad: list[str] = []
    for part in _SPLIT.split(folded.strip()):
        item = part.strip().strip("<>").rstrip(".")
        if "<" in item and item.endswith(">"):
            item = item[item.rindex("<") + 1:-1]
        if not item:
            continue
        if _ADDRESS.match(item):
            key = item.lower()
            if key not in (g.lower() for g in good):
                good.append(item)
        elif item not in bad:
            bad.append(item)
    return tuple(good), tuple(bad)


def is_address(text: str) -> bool:
    """Whether `text` alone is one well-formed address."""
    return bool(_ADDRESS.match(text))
