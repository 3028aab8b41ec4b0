# Comparison runs only: zip members written from files (openpyxl writes sheets through temp
# files) get a fixed time, so equal content gives equal bytes.
import zipfile

_orig = zipfile.ZipInfo.from_file.__func__


def _from_file(cls, filename, arcname=None, *, strict_timestamps=True):
    info = _orig(cls, filename, arcname, strict_timestamps=strict_timestamps)
    info.date_time = (2026, 11, 30, 12, 0, 0)
    return info


zipfile.ZipInfo.from_file = classmethod(_from_file)

# Comparison runs only: every working folder these runs make gets the same campaign key (random in
# real use, `forms/campaign_key.py`), so signed identities, and the rollups and templates that carry
# them, are byte-identical between two runs.
import random as _random
import secrets as _secrets

_keys = _random.Random(2021)
_secrets.token_hex = lambda n=32: _keys.randbytes(n).hex()
_secrets.token_bytes = lambda n=32: _keys.randbytes(n)
