#!/usr/bin/env python3
"""Generates docs/coverage.md from the built-in suites: which doc page each case checks.

A case names the doc pages it checks in its <Description> ("rest/files/Lock.rst: '...'"); every such path counts.
Pages of ../shared/wopi-docs that no case cites are listed too, so a gap is visible.

    python3 scripts/coverage.py           # rewrite docs/coverage.md
    python3 scripts/coverage.py --check   # exit 1 if docs/coverage.md is out of date (for CI)
"""

import collections
import pathlib
import re
import sys
import xml.etree.ElementTree as ET

ROOT = pathlib.Path(__file__).resolve().parent.parent
SUITES = ROOT / "suites"
OUT = ROOT / "docs" / "coverage.md"
DOCS = ROOT.parent / "shared" / "wopi-docs"
EXT = "{urn:wopi-conformance:ext:1}"
PAGE = re.compile(r"\b((?:rest|online)/[A-Za-z0-9_/.-]+?\.rst)")
# Doc areas whose every page should be covered; other pages appear only when cited.
AREAS = ["rest/files", "rest/containers", "rest/ecosystem"]
EXTRA_PAGES = ["rest/concepts.rst", "online/scenarios/proofkeys.rst", "online/discovery.rst"]

# Normative statements the suites do not check yet, and why (kept here so the generated page says it).
GAPS = [
    ("rest/files/PutFile.rst", "X-WOPI-Lock 'should not be included when responding to the request with 200' (and the same on Lock/Unlock/RefreshLock)",
     "ResponseHeaderValidator cannot require a header to be absent; only 'not equal to a value' is checked"),
    ("rest/concepts.rst", "lock IDs are opaque and compared exactly: the X-WOPI-Lock value a host answers must be byte-equal to the stored ID",
     "ResponseHeaderValidator compares values ignoring case (the engine's rule); a case-sensitive option is needed. Status codes are checked case-sensitively already"),
    ("rest/concepts.rst", "locks are not user-owned: an Unlock with another user's token and the right lock ID 'should be honored'",
     "needs a second user's token (proposed: a provisioning extension that issues a token for another user)"),
    ("rest/files/PutRelativeFile.rst", "X-WOPI-ValidRelativeTarget is a name the client can retry with ('should automatically retry')",
     "needs request attributes filled from state (retry with the saved header value)"),
    ("rest/files/PutRelativeFile.rst", "X-WOPI-OverwriteRelativeTarget 'must be ignored' in suggested mode",
     "the PutRelativeFile element sends the overwrite header only in ExactName mode"),
    ("rest/files/PutRelativeFile.rst", "'If the user is not authorized to overwrite the target file, the host must respond with a 501.'",
     "needs a target the user cannot write"),
    ("rest/files/CheckFileInfo.rst", "'No properties should be set to null'", "no property kind tells null from an empty string for every property"),
    ("rest/files/CheckFileInfo.rst", "Version 'must change when the file changes' checked on CheckFileInfo itself",
     "StringProperty has no 'must differ from saved state' option; the suites check it through X-WOPI-ItemVersion instead"),
    ("online/scenarios/proofkeys.rst", "'X-WOPI-TimeStamp ... no more than 20 minutes old': the boundary (19 vs 21 minutes)",
     "ProofKey@Timestamp is absolute; a relative age (e.g. ext:AgeSeconds) is needed"),
    ("rest/files/GetShareUrl.rst", "unsupported X-WOPI-UrlType 'should respond with a 501'", "not written yet (no built-in suite for GetShareUrl)"),
]


UNPARSED = []
# Why a page has no case.
NO_CASE_REASON = {
    "rest/ecosystem/GetFileWopiSrc.rst": "the validator's vocabulary has no request element for GET_WOPI_SRC_WITH_ACCESS_TOKEN",
}
STUB_MARK = "_shared/stub.rst"


def cases():
    for path in sorted(SUITES.glob("*.xml")):
        try:
            root = ET.parse(path).getroot()
        except ET.ParseError as e:
            # Listed on the page rather than aborting: the harness reports the file's own error when it runs.
            UNPARSED.append(f"{path.name}: {e}")
            continue
        for group in root.findall("TestGroup"):
            for case in group.findall("TestCases/TestCase"):
                desc = " ".join((case.findtext("Description") or "").split())
                pages = sorted(set(PAGE.findall(desc)))
                should = any(e.get(EXT + "Severity") == "Should" for e in case.iter())
                ext = sorted({e.tag[len(EXT):] for e in case.iter() if e.tag.startswith(EXT)})
                yield {
                    "file": path.name,
                    "group": group.get("Name"),
                    "name": case.get("Name"),
                    "pages": pages,
                    "should": should,
                    "ext": ext,
                }


def render():
    all_cases = list(cases())
    by_page = collections.defaultdict(list)
    for c in all_cases:
        for p in c["pages"]:
            by_page[p].append(c)
    pages = set(by_page)
    for area in AREAS:
        for p in (DOCS / area).glob("*.rst"):
            pages.add(f"{area}/{p.name}")
    pages.update(EXTRA_PAGES)

    out = []
    out.append("# Coverage of the WOPI docs by the built-in suites")
    out.append("")
    out.append("Generated by `python3 scripts/coverage.py` from `suites/*.xml`; do not edit by hand. A case counts for")
    out.append("every doc page its `<Description>` cites. `S` marks a case with SHOULD-level checks (reported as warnings);")
    out.append("`ext:` lists the extension steps a case needs (suites/README.md).")
    out.append("")
    per_file = collections.Counter(c["file"] for c in all_cases)
    out.append("| Suite file | Cases |")
    out.append("|---|---:|")
    for f in sorted(per_file):
        out.append(f"| `suites/{f}` | {per_file[f]} |")
    out.append(f"| **total** | **{len(all_cases)}** |")
    out.append("")
    uncovered = sorted(p for p in pages if not by_page.get(p))
    out.append("## By doc page")
    out.append("")
    for p in sorted(pages):
        cs = by_page.get(p, [])
        if not cs:
            continue
        out.append(f"### {p} ({len(cs)})")
        out.append("")
        for c in sorted(cs, key=lambda c: (c["file"], c["group"], c["name"])):
            marks = []
            if c["should"]:
                marks.append("S")
            if c["ext"]:
                marks.append("ext:" + ",".join(c["ext"]))
            m = f" ({'; '.join(marks)})" if marks else ""
            out.append(f"- `{c['file']}` {c['group']}::{c['name']}{m}")
        out.append("")
    out.append("## Pages without a case")
    out.append("")
    for p in uncovered:
        reason = NO_CASE_REASON.get(p)
        page = DOCS / p
        text = page.read_text(encoding="utf-8") if page.exists() else ""
        if reason is None and STUB_MARK in text:
            reason = "a stub page: the operation is not documented"
        if reason is None and "deprecated_operation.rst" in text:
            reason = "a deprecated operation"
        out.append(f"- {p}" + (f" — {reason}" if reason else ""))
    out.append("")
    if UNPARSED:
        out.append("## Suite files this script could not read (not well-formed XML)")
        out.append("")
        for u in UNPARSED:
            out.append(f"- {u}")
        out.append("")
    out.append("## Normative statements not checked yet")
    out.append("")
    out.append("| Page | Statement | Why not |")
    out.append("|---|---|---|")
    for page, stmt, why in GAPS:
        out.append(f"| {page} | {stmt.replace('|', '/')} | {why.replace('|', '/')} |")
    out.append("")
    return "\n".join(out)


def main():
    text = render()
    if "--check" in sys.argv[1:]:
        current = OUT.read_text(encoding="utf-8") if OUT.exists() else ""
        if current != text:
            print(f"{OUT} is out of date; run python3 scripts/coverage.py", file=sys.stderr)
            return 1
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tmp = OUT.with_suffix(".md.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(OUT)
    print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
