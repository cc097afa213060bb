"""The README and the documentation site: short README, a site that builds strictly and
fetches nothing, every page in the navigation, no sentence written in two places, and a
`make help` that lists every target."""

from __future__ import annotations

import re
import subprocess
import sys
from html.parser import HTMLParser

import yaml

from ..conftest import ROOT

DOCS = ROOT / "docs"


def test_readme_is_short():
    assert len((ROOT / "README.md").read_text().splitlines()) <= 150


class _Fetches(HTMLParser):
    """URLs a browser would fetch by itself (scripts, styles, images, frames), not links."""

    def __init__(self):
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"script", "img", "iframe", "source", "video", "audio"} and attrs.get("src"):
            self.urls.append(attrs["src"])
        if tag == "link" and attrs.get("rel") != "canonical" and attrs.get("href"):
            self.urls.append(attrs["href"])


def test_site_builds_strictly_and_fetches_nothing(tmp_path):
    site = tmp_path / "site"
    run = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)]
    proc = subprocess.run(run, cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    remote = []
    for page in site.rglob("*.html"):
        parser = _Fetches()
        parser.feed(page.read_text())
        remote += [u for u in parser.urls if re.match(r"(https?:)?//", u)]
    assert not remote, sorted(set(remote))
    # the API reference is generated from the committed schema: every path is on it
    schema = yaml.safe_load((DOCS / "openapi.json").read_text())
    reference = (site / "api-reference" / "index.html").read_text()
    assert all(path in reference for path in schema["paths"])


def test_a_broken_link_fails_the_build(tmp_path):
    """--strict is what makes the build a check: show it failing."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# x\n\n[gone](missing.md)\n")
    (tmp_path / "mkdocs.yml").write_text((ROOT / "mkdocs.yml").read_text())
    (tmp_path / "docs" / "openapi.json").write_text("{}")
    run = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "s")]
    proc = subprocess.run(run, cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode != 0 and "missing.md" in proc.stderr


def _pages(nav) -> set[str]:
    """Every page a navigation tree lists (sections hold lists of entries)."""
    found = set()
    for entry in nav:
        value = next(iter(entry.values()))
        found |= _pages(value) if isinstance(value, list) else {value}
    return found


def test_every_page_is_in_the_navigation():
    nav = yaml.safe_load((ROOT / "mkdocs.yml").read_text())["nav"]
    assert _pages(nav) == {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")}


def test_the_code_reference_renders_every_module_it_names_from_its_docstrings():
    """mkdocstrings renders the reference pages at build time: each `::: module` is a real
    module whose docstring is on its page (so the pages cannot drift from the code)."""
    import importlib

    for page in sorted((DOCS / "reference").glob("*.md")):
        modules = re.findall(r"^::: ([\w.]+)$", page.read_text(), flags=re.M)
        assert modules, page
        for name in modules:
            doc = importlib.import_module(name).__doc__
            assert doc and doc.strip(), f"{name} has no docstring to render ({page.name})"


def _sentences(text: str) -> set[str]:
    """Prose sentences of eight words or more (tables, code and headings left out)."""
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    lines = [line for line in text.splitlines() if not line.startswith(("|", "#", "<!--"))]
    words = " ".join(lines).split()
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(words))
    return {s for s in sentences if len(s.split()) >= 8}


def test_no_sentence_lives_in_two_places():
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    seen: dict[str, str] = {}
    twice = []
    for page in pages:
        for sentence in _sentences(page.read_text()):
            if sentence in seen:
                twice.append((seen[sentence], page.name, sentence[:80]))
            seen.setdefault(sentence, page.name)
    assert not twice, twice


def test_make_help_lists_every_target():
    makefile = (ROOT / "Makefile").read_text().replace("\\\n", " ")
    phony = set(re.search(r"^\.PHONY: (.*)$", makefile, re.M)[1].split())
    out = subprocess.run(
        ["make", "--no-print-directory", "help"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    listed = {line.split()[1] for line in out.splitlines() if line.strip().startswith("make ")}
    assert phony <= listed, sorted(phony - listed)
