"""Compare two output trees: same relative paths, same bytes (JSON: file mtimes zeroed; text: the tree's
own path replaced), so a run of one excelflow version can be checked against another's."""
import hashlib, os, re, sys
from pathlib import Path
SKIP_DIRS = {".excelflow", "__pycache__", "journal"}
def digest(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for f in filenames:
            p = Path(dirpath) / f
            rel = p.relative_to(root).as_posix()
            if f.startswith(".tmp-"):
                continue
            data = p.read_bytes()
            if f.endswith(".json"):
                data = re.sub(rb'"(mtime_ns|modified_ns)": ?-?\d+', rb'"\1":0', data)
                # segment tokens digest their bodies, mtimes included
                data = re.sub(rb'"(token|r-[0-9a-f]{16}|none)":"[0-9a-f]{16}"', rb'"\1":"T"', data)
            if f.endswith((".txt", ".json")):
                data = data.replace(str(root).encode(), b"ROOT")
            out[rel] = hashlib.sha256(data).hexdigest()
    return out
a, b = digest(Path(sys.argv[1])), digest(Path(sys.argv[2]))
only_a = sorted(set(a) - set(b)); only_b = sorted(set(b) - set(a))
diff = sorted(k for k in set(a) & set(b) if a[k] != b[k])
print(f"files: {len(a)} vs {len(b)}; same {len(set(a) & set(b)) - len(diff)}; differ {len(diff)}; "
      f"only in first {len(only_a)}; only in second {len(only_b)}")
for k in diff[:int(os.environ.get("SHOW", "80"))]: print("DIFF", k)
for k in only_a[:30]: print("ONLY1", k)
for k in only_b[:30]: print("ONLY2", k)
