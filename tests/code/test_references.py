"""References that lead somewhere: every docs page, section, anchor and repository file named
in the code, the tests, the benchmarks, params.yaml, dvc.yaml, the Makefile, CI files and the
docs exists, and nothing points outside the repository (a guide beside it, say)."""

import functools
import re
from pathlib import Path

import pytest

from tests.project import ROOT

SCANNED = sorted(
    {
        *(ROOT / "src").rglob("*.py"),
        *(ROOT / "tests").rglob("*.py"),
        *(p for p in (ROOT / "benchmarks").iterdir() if p.is_file()),
        *(ROOT / "docs").glob("*.md"),
        *(ROOT / ".ci").iterdir(),
        *(
            ROOT / p
            for p in (
                "README.md",
                "params.yaml",
                "dvc.yaml",
                "Makefile",
                ".gitlab-ci.yml",
                "Dockerfile",
            )
        ),
    }
    - {Path(__file__)}
)
# docs/page.md, docs/page.md#anchor, docs/page.md, "Section"
PAGE = re.compile(r'\bdocs/([a-z0-9_-]+\.md)(?:#([a-z0-9_-]+))?(?:, "([^"]+)")?')
# a file of the repository named by its path (placeholders such as NAME, globs and braces
# are not files)
FILE = re.compile(
    r"(?<![\w./-])((?:src|tests|benchmarks|docs|sweeps|\.ci)/[\w./-]*\w\.(?:py|md|sh|json|mjs|yaml|yml|txt))\b"
)
# README "Section" (a README heading)
README_SECTION = re.compile(r'README(?:\.md)?,? "([^"]+)"')
OUTSIDE = re.compile(r"\.\./shared|GUIDE\.md|DEVELOPERS\.md")


@functools.cache
def sections(page: Path) -> tuple[set[str], set[str]]:
    """A page's section names (headings and bold run-in heads like **Image.**) and anchors."""
    names, anchors = set(), set()
    for line in page.read_text(encoding="utf-8").splitlines():
        if m := re.match(r"#+\s+(.*)", line):
            names.add(m[1].strip())
            slug = re.sub(r"[^\w\s-]", "", m[1].strip().lower())
            anchors.add(re.sub(r"[\s]+", "-", slug))
        names |= {h.rstrip(".") for h in re.findall(r"\*\*([^*]+?)\.?\*\*", line)}
    return names, anchors


def references() -> list[tuple[Path, int, str]]:
    found = []
    for path in SCANNED:
        for number, line in enumerate(
            path.read_text(encoding="utf-8", errors="replace").splitlines(), 1
        ):
            found += [(path, number, line)]
    return found


LINES = references()


def _where(path: Path, number: int) -> str:
    return f"{path.relative_to(ROOT)}:{number}"


def broken_pages(lines) -> list[str]:
    """Named docs pages, anchors and sections that do not exist."""
    broken = []
    for path, number, line in lines:
        for page, anchor, section in PAGE.findall(line):
            target = ROOT / "docs" / page
            if not target.is_file():
                broken.append(f"{_where(path, number)}: docs/{page} does not exist")
                continue
            names, anchors = sections(target)
            if anchor and anchor not in anchors:
                broken.append(f"{_where(path, number)}: docs/{page} has no #{anchor}")
            if section and section not in names:
                broken.append(f'{_where(path, number)}: docs/{page} has no section "{section}"')
        readme = sections(ROOT / "README.md")[0]
        for section in README_SECTION.findall(line):
            if section not in readme:
                broken.append(f'{_where(path, number)}: README.md has no section "{section}"')
    return broken


def test_every_docs_page_section_and_anchor_named_exists():
    broken = broken_pages(LINES)
    assert not broken, "\n".join(broken)


def test_every_repository_file_named_exists():
    """Outside the tests, which name files they make (src/a.py in a scratch repository)."""
    broken = [
        f"{_where(path, number)}: {name}"
        for path, number, line in LINES
        if ROOT / "tests" not in path.parents
        for name in FILE.findall(line)
        if not re.search(r"[A-Z]{3,}|\*", name) and not (ROOT / name).exists()
    ]
    assert not broken, "\n".join(broken)


def test_nothing_points_outside_the_repository():
    outside = [_where(p, n) for p, n, line in LINES if OUTSIDE.search(line)]
    assert not outside, outside


@pytest.mark.parametrize(
    "text, problems",
    [
        ('see docs/tests.md, "Suite time"', 0),
        ('see docs/api.md, "Image"', 0),  # a bold run-in head
        ('see docs/tests.md, "No such section"', 1),
        ("see docs/no-such-page.md", 1),
        ("see docs/evaluation.md#the-gate", 0),
        ("see docs/evaluation.md#no-such-anchor", 1),
        ('see README "Layout"', 0),
        ('see README "Evaluation"', 1),  # a section README once had
    ],
)
def test_the_checker_finds_a_broken_reference(text, problems):
    assert len(broken_pages([(ROOT / "README.md", 1, text)])) == problems
