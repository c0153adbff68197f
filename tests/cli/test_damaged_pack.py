"""A pack on the remote whose header lies about its length is a damaged remote object: pull names
it, the files it would give are reported as failed, and nothing bad enters the cache."""

from __future__ import annotations

import shutil

import pytest

HUGE = 2**63 + 5  # OverflowError in a read or a seek, before pivot checked it


def _damage(pack, declared: int, cut: int | None = None) -> None:
    data = bytearray(pack.read_bytes())
    data[8:16] = declared.to_bytes(8, "big")
    pack.chmod(0o644)
    pack.write_bytes(bytes(data[:cut]))


@pytest.mark.parametrize(
    ("declared", "cut", "why"),
    [
        (HUGE, None, "impossible length"),
        (1 << 20, None, "but the pack ends after"),  # longer than the whole pack
        (None, 40, "but the pack ends after 24"),  # the real length, the file cut inside the header
    ],
    ids=["huge-length", "length-past-the-end", "truncated-header"],
)
def test_a_pack_with_a_bad_header_is_reported_damaged_and_nothing_bad_is_cached(project, pivot, tmp_path, declared, cut, why):
    root = project({"pivot.yaml": "stages: {}\n", **{f"raw/{i:02d}.txt": f"line {i}\n" for i in range(30)}})
    shared = tmp_path / "shared"
    assert pivot("remote", "add", "-d", "origin", str(shared)).exit_code == 0
    assert pivot("track", "raw").exit_code == 0
    assert pivot("push").exit_code == 0
    (pack,) = [p for p in (shared / "packs").iterdir() if p.is_file()]
    length = int.from_bytes(pack.read_bytes()[8:16], "big")
    _damage(pack, length if declared is None else declared, cut)
    shutil.rmtree(root / ".pivot" / "cache")
    shutil.rmtree(root / "raw")

    pulled = pivot("pull")

    assert pulled.exit_code == 1, pulled.output
    assert "Traceback" not in pulled.output and "OverflowError" not in pulled.output
    assert f"pack {pack.name} on remote 'origin' is damaged" in pulled.output and why in pulled.output
    assert "32 objects failed:" in pulled.output  # 30 members, the pack, the directory
    cached = [p for p in (root / ".pivot" / "cache" / "files").rglob("*") if p.is_file()]
    assert cached == []  # no member, no manifest: nothing it would have given
    assert not (root / "raw").exists()
    assert list((root / ".pivot" / "cache" / "tmp").iterdir()) == []
