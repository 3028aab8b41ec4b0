# Comparison runs only: zip members written from files (openpyxl writes sheets through temp
# files) get a fixed time, so equal content gives equal bytes.
import zipfile

_orig = zipfile.ZipInfo.from_file.__func__


def _from_file(cls, filename, arcname=None, *, strict_timestamps=True):
    info = _orig(cls, filename, arcname, strict_timestamps=strict_timestamps)
    info.date_time = (2026, 11, 30, 12, 0, 0)
    return info


zipfile.ZipInfo.from_file = classmethod(_from_file)
