"""One side of benchmarks/packfetch.py, run by it in pivot's venv with PYTHONPATH naming the pivot
tree under test (this checkout, or the revision before sparse fetches merged their ranges):

    python packfetch_side.py setup WORK ENDPOINT BUCKET FILES PACK_MIB
    python packfetch_side.py pull WORK ENDPOINT BUCKET SEED SHARE

`setup`: FILES files of 1-4 KB (random sizes) in one directory, added to the cache WORK/cache and
pushed to s3://BUCKET/cache in packs of at most PACK_MIB MiB. `pull`: a fresh cache WORK/pull
that holds the directory's manifest and all its files but a random SHARE of them (the same ones
for both sides: SEED), then the timed `transfer.fetch` of the directory, as `pivot pull` makes
it. Each prints one line of JSON. S3 credentials come from the environment.
"""

from __future__ import annotations

import json
import os
import pathlib
import random
import shutil
import sys
import time

from pivot.declare import config
from pivot.remote import fs, packs, spec, transfer
from pivot.storage.cache import Cache
from pivot.storage.state import Hasher

JOBS = 8  # pivot's default -j on 2 CPUs


def _remote(work: pathlib.Path, endpoint: str, bucket: str) -> fs.Remote:
    entry = {"url": f"s3://{bucket}/cache", "endpoint_url": endpoint, "region": "eu-west-1"}
    settings = config.ProjectConfig(remotes={"bench": entry}, default_remote="bench")
    return fs.Remote(spec.resolve(settings, None, work))


def setup(work: pathlib.Path, endpoint: str, bucket: str, files: int, pack_mib: int) -> dict[str, object]:
    sizes = random.Random(0)
    root = work / "ws" / "data"
    root.mkdir(parents=True)
    for i in range(files):
        (root / f"part-{i % 10}" / f"file-{i:05d}.bin").parent.mkdir(exist_ok=True)
        (root / f"part-{i % 10}" / f"file-{i:05d}.bin").write_bytes(os.urandom(sizes.randint(1024, 4096)))
    cache = Cache(work / "cache")
    hashed = Hasher(None).hash_path(root)
    cache.add(root, hashed)
    # Smaller packs than pivot's 64 MiB, so this directory spans several of them, as one 16 times
    # larger would: the pull then reads from several packs at once.
    packs.PACK_BYTES = pack_mib << 20
    pushed = transfer.push(cache, _remote(work, endpoint, bucket), [hashed.info.oid], jobs=JOBS)
    if not pushed.ok:
        raise SystemExit(f"push failed: {pushed.failed[:3]}")
    (work / "dir_oid").write_text(hashed.info.oid)
    return {"dir": hashed.info.oid, "files": files}


def pull(work: pathlib.Path, endpoint: str, bucket: str, seed: int, share: float) -> dict[str, object]:
    full = Cache(work / "cache")
    dir_oid = (work / "dir_oid").read_text()
    members = sorted({entry.oid for entry in full.read_manifest(dir_oid)})
    lost = set(random.Random(seed).sample(members, round(share * len(members))))
    shutil.rmtree(work / "pull", ignore_errors=True)
    cache = Cache(work / "pull")
    for oid in [dir_oid, *members]:
        if oid not in lost:
            dest = cache.object_path(oid)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(full.object_path(oid), dest)
    remote = _remote(work, endpoint, bucket)
    started = time.perf_counter()
    fetched = transfer.fetch(cache, remote, [dir_oid], jobs=JOBS)
    seconds = time.perf_counter() - started
    whole = fetched.ok and fetched.transferred == len(lost) and cache.verify(dir_oid)
    return {"seconds": seconds, "transferred": fetched.transferred, "lost": len(lost), "ok": whole, "failed": fetched.failed[:3]}


def main(argv: list[str]) -> int:
    mode, work, endpoint, bucket, *rest = argv
    if mode == "setup":
        found = setup(pathlib.Path(work), endpoint, bucket, int(rest[0]), int(rest[1]))
    else:
        found = pull(pathlib.Path(work), endpoint, bucket, int(rest[0]), float(rest[1]))
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
