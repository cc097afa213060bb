"""The Docker image, without a Docker engine: lint the Dockerfile, run its CMD with its ENV."""

import shlex
import subprocess

import httpx
import yaml

from ..conftest import ROOT
from .conftest import BIN, Server, free_port


def final_stage() -> list[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]
    last_from = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return lines[last_from:]


def image_env() -> dict[str, str]:
    env = {}
    for line in final_stage():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def image_cmd() -> list[str]:
    cmd = next(line for line in final_stage() if line.startswith("CMD "))
    return eval(cmd[4:])  # noqa: S307 - the JSON-array form, from our own Dockerfile


def test_hadolint_passes():
    proc = subprocess.run(
        [str(BIN / "hadolint"), str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_image_runs_non_root_with_a_healthcheck():
    stage = final_stage()
    assert any(line.startswith("USER ") and "root" not in line for line in stage)
    assert any(line.startswith("HEALTHCHECK ") and "/health" in line for line in stage)
    assert stage[0].split()[1].count(":") == 1 and "latest" not in stage[0]


def test_entrypoint_command_serves_outside_docker(served, tmp_path):
    env = image_env()
    assert env["PWC_HOST"] == "0.0.0.0"
    port = free_port()
    # Same command and variables as the image, except: loopback only, this machine's paths.
    env.update(
        PATH=f"{BIN}:{env['PATH'].replace('/venv/bin:', '')}",
        PWC_HOST="127.0.0.1",
        PWC_PORT=str(port),
        PWC_PARAMS=str(served),
        PWC_GIT_COMMIT="abc123",
    )
    server = Server(image_cmd(), env, tmp_path / "image.log", port)
    try:
        server.wait_ready()
        version = httpx.get(f"{server.url}/version").json()
        assert version["git_commit"] == "abc123"
        scored = httpx.post(f"{server.url}/v1/score", json={"passwords": ["abc"]}).json()
        assert len(scored["results"]) == 1
    finally:
        server.stop()


def _copied_dirs() -> set[str]:
    """Folders of the build context the final stage copies into the image's /app."""
    copies = [line.split()[1:] for line in final_stage() if line.startswith("COPY ")]
    return {src[0].rstrip("/") for src in copies if not src[0].startswith("--from")}


def test_the_image_holds_every_file_the_server_reads(params):
    """The Dockerfile copies folders; params.yaml names the files in them. Every path the
    server reads must be inside a copied folder, and CI must fetch the DVC-tracked ones."""
    paths = params.paths
    needed = [paths.model, paths.lookup, paths.evaluate_metrics, paths.gate]
    copied = _copied_dirs()
    for path in needed:
        assert path.parts[0] in copied, f"{path} is not in the image (COPY {path.parts[0]})"
    assert "params.yaml" in copied
    ci = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text())
    pull = next(line for line in ci["image-fetch"]["script"] if str(line).startswith("dvc pull"))
    pulled = pull.split("#")[0].split()[2:]
    stages = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"]
    outs = {out for name in pulled for out in stages[name]["outs"]}
    assert {"${paths.model}", "${paths.lookup}", "${paths.meter}"} <= outs
    handed_on = ci["image-fetch"]["artifacts"]["paths"]  # to the image job, which COPYs them
    assert {f"{paths.model.parts[0]}/", f"{paths.meter.parts[0]}/"} <= set(handed_on)
    assert ci["image-fetch"]["artifacts"]["reports"]["dotenv"] == "registry.env"
