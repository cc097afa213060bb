"""The bundle in headless Chromium (puppeteer-core driving the system's Chromium): bit for bit
the Python reference, the demo page following every keystroke, nothing fetched from afar."""

from __future__ import annotations

import json
import shutil

import pytest

from pwc.answer import full
from pwc.meter import bundle
from tests.web.conftest import EDGES, REFUSED, chromium, records_equal

# Scores every password of passwords.json in the page, as a page would import the bundle
# (after loadExtended() when EXTENDED is true).
SCORE_ALL = """(async () => {
  const m = await import("./meter.js");
  if (EXTENDED) await m.loadExtended();
  const passwords = await (await fetch("./passwords.json")).json();
  return passwords.map((p) => {
    try { return m.score(p); } catch (e) { return { error: e.constructor.name }; }
  });
})()"""


def _serve_bundle(meter_dir, folder) -> None:
    for path in meter_dir.iterdir():
        shutil.copy(path, folder / path.name)


@pytest.mark.parametrize("kind", ["core", "extended"])
def test_chromium_answers_the_python_reference_bit_for_bit(meter_dir, heldout, static_server, kind):
    url, folder = static_server
    _serve_bundle(meter_dir, folder)
    passwords = heldout + EDGES + REFUSED
    (folder / "passwords.json").write_text(json.dumps(passwords))
    (folder / "blank.html").write_text("<!doctype html><title>parity</title>")
    script = SCORE_ALL.replace("EXTENDED", json.dumps(kind == "extended"))
    out = chromium(f"{url}/blank.html", [{"eval": script}], folder)
    assert out["errors"] == []
    js = out["results"][0]
    scored = len(heldout) + len(EDGES)
    py = bundle.read(meter_dir, kind).score(passwords[:scored])
    assert records_equal(js[:scored], py) == []
    assert [r.get("error") for r in js[scored:]] == ["RangeError"] * len(REFUSED)


def test_the_demo_page_follows_every_keystroke(meter_dir, static_server):
    url, folder = static_server
    _serve_bundle(meter_dir, folder)
    typed = "correcthorse7!"
    steps = [{"wait": "document.body.dataset.advice === '1'"}]
    for ch in typed:
        steps += [{"type": ch, "into": "#password"}, {"text": "#score"}, {"class": "#out"}]
    steps.append({"text": "#time"})
    # ?extended=0: the core model throughout, the one that answers from the first keystroke
    out = chromium(f"{url}/demo.html?extended=0", steps, folder)
    assert out["errors"] == []  # no failed request: the page needs nothing beyond the bundle
    shown = out["results"][1:-1]
    prefixes = [typed[: i + 1] for i in range(len(typed))]
    expected = bundle.read(meter_dir).score(prefixes)["score"].tolist()
    assert [int(shown[3 * i + 1]) for i in range(len(typed))] == expected
    assert [shown[3 * i + 2] for i in range(len(typed))] == [f"s{s}" for s in expected]
    assert out["results"][-1]  # a crack time in words
    page = (meter_dir / "demo.html").read_text()
    assert "http://" not in page and "https://" not in page  # no CDN, nothing remote


def test_the_demo_page_gives_the_advice_of_the_reference(meter_dir, static_server):
    """Feedback, crack time and spans in the page, with the user's inputs, as the Python
    reference answers (pwc.answer over the bundle's model)."""
    url, folder = static_server
    _serve_bundle(meter_dir, folder)
    steps = [
        {"wait": "document.body.dataset.advice === '1'"},
        {"type": "Alice, examplebank", "into": "#inputs"},
        {"type": "alice1990", "into": "#password"},
        {"text": "#warning"},
        {"text": "#suggestions"},
        {"text": "#time"},
        {"eval": "[...document.querySelectorAll('#spans mark')].map((m) => m.textContent)"},
    ]
    out = chromium(f"{url}/demo.html?extended=0", steps, folder)
    assert out["errors"] == []
    body, _ = full.response(bundle.scorer(meter_dir), ["alice1990"], ["Alice", "examplebank"], True)
    (py,) = json.loads(body)["results"]
    warning, suggestions, time, marks = out["results"][3:]
    assert py["source"] == "user_input"
    assert warning == py["feedback"]["warning"]["text"]
    assert suggestions == "".join(s["text"] for s in py["feedback"]["suggestions"])
    assert time == py["crack_times_display"]["offline_slow_hashing_1e4_per_second"]
    assert marks == ["alice1990"[s["start"] : s["end"]] for s in py["sequence"]]


def test_the_demo_page_switches_to_the_extended_model_once_loaded(meter_dir, static_server):
    url, folder = static_server
    _serve_bundle(meter_dir, folder)
    steps = [
        {"wait": "document.body.dataset.extended === '1'"},
        {"type": "dragon2010", "into": "#password"},
        {"text": "#score"},
        {"text": "#version"},
    ]
    out = chromium(f"{url}/demo.html", steps, folder)
    assert out["errors"] == []
    extended = bundle.read(meter_dir, "extended")
    assert out["results"][2] == str(extended.score(["dragon2010"])["score"][0])
    assert out["results"][3] == f"{extended.version} (extended)"
