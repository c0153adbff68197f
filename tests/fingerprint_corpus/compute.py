"""Print the code fingerprints of stage functions as JSON, under whichever Python runs this.

Usage: python compute.py SPEC.json, where SPEC lists {"root": project dir, "ref": "module:qualname"}.
The output maps "root|ref" to the digest and manifest, for comparing across interpreters."""

import json
import sys

from pivot.base import importing
from pivot.code import fingerprint


def main(spec_path: str) -> None:
    found = {}
    for item in json.load(open(spec_path)):
        importing.prepare_imports(item["root"])
        func = importing.import_object(item["ref"])
        fp = fingerprint.of(func, relative_to=item["root"])
        found[f"{item['root']}|{item['ref']}"] = {"digest": fp.digest, "manifest": dict(fp.manifest)}
    json.dump(found, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1])
