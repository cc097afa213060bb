"""`dvc plots` offline: DVC's own command, given the template of pwc.ops.offline_plots, writes
a page whose plots render in headless Chromium with no request leaving the machine."""

import subprocess

import pytest
import yaml

from pwc.errors import PwcError
from pwc.ops import offline_plots
from tests.project import ROOT

from .conftest import NODE_MODULES, chromium

BIN = ROOT / ".venv" / "bin"
PLOTS = len(yaml.safe_load((ROOT / "dvc.yaml").read_text())["plots"])
# how many plots drew more than a blank frame (vega-embed draws each on a canvas): pixels
# with ink, against ~5,500-65,000 in each plot of the committed metrics
DRAWN = """(() => {
  const drawn = (el) => {
    const data = el.getContext('2d').getImageData(0, 0, el.width, el.height).data;
    let ink = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i] < 200) ink++;
    return ink > 1000;
  };
  return [...document.querySelectorAll('.vega-embed canvas')].filter(drawn).length;
})()"""


def dvc_plots(template, out):
    cmd = [str(BIN / "dvc"), "plots", "show", "--html-template", str(template), "-o", str(out)]
    subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True, timeout=120)
    return out / "index.html"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("plots")
    (tmp / "template.html").write_text(offline_plots.template(NODE_MODULES))
    return dvc_plots(tmp / "template.html", tmp / "out")


def test_the_page_needs_no_network(page):
    html = page.read_text()
    assert "cdn.jsdelivr" not in html and 'src="http' not in html


def test_every_plot_renders_offline(page, tmp_path):
    run = chromium(page.as_uri(), [{"wait": f"{DRAWN} >= {PLOTS}"}, {"eval": DRAWN}], tmp_path)
    assert run["errors"] == []
    assert run["results"][-1] == PLOTS
    shot = tmp_path / "plots.png"
    chromium(page.as_uri(), [{"wait": f"{DRAWN} >= {PLOTS}"}, {"screenshot": str(shot)}], tmp_path)
    assert shot.stat().st_size > 20_000  # a blank page's screenshot is ~5 kB


def test_the_check_fails_on_a_page_without_vega(tmp_path):
    bare = offline_plots.PAGE.replace("INLINED", "")  # what DVC's CDN page is offline
    (tmp_path / "bare.html").write_text(bare)
    page = dvc_plots(tmp_path / "bare.html", tmp_path / "out")
    run = chromium(page.as_uri(), [{"eval": DRAWN}], tmp_path)
    assert run["results"][-1] == 0


def test_a_missing_package_is_a_clear_error(tmp_path):
    with pytest.raises(PwcError, match="run `make web-deps`"):
        offline_plots.template(tmp_path)
