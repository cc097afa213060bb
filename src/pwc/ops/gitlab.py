"""The GitLab REST calls the CI reports make (uploads, merge-request notes), with the CI
variables GitLab gives a job; the merge-request report and the CI sweep's collect post
through it. A token is sent as a header, never written in a URL or a message."""

from __future__ import annotations

import os

import httpx

from pwc.errors import PwcError


class GitLab:
    """The two REST calls the report needs (uploads, merge-request notes)."""

    def __init__(self, api_url: str, project: str, token: str, client: httpx.Client | None = None):
        self.base = f"{api_url.rstrip('/')}/projects/{project}"
        self.client = client or httpx.Client(timeout=30.0)
        self.headers = {"PRIVATE-TOKEN": token}

    @classmethod
    def from_env(cls, merge_request: str | None = None) -> GitLab:
        """From GitLab's CI variables; the merge request is the pipeline's own unless named."""
        needed = ["CI_API_V4_URL", "CI_PROJECT_ID", "PWC_GITLAB_TOKEN"]
        needed += [] if merge_request else ["CI_MERGE_REQUEST_IID"]
        missing = [v for v in needed if not os.environ.get(v)]
        if missing:
            raise PwcError(f"cannot post the report: set {', '.join(missing)}")
        env = os.environ
        return cls(env["CI_API_V4_URL"], env["CI_PROJECT_ID"], env["PWC_GITLAB_TOKEN"])

    def _check(self, response: httpx.Response, what: str) -> dict:
        if response.status_code >= 300:
            # GitLab's error body names the problem; the token is never in it
            raise PwcError(f"GitLab {what} failed: HTTP {response.status_code}")
        return response.json()

    def upload(self, name: str, data: bytes) -> str:
        """Markdown that shows the uploaded image."""
        response = self.client.post(
            f"{self.base}/uploads", headers=self.headers, files={"file": (name, data, "image/png")}
        )
        return self._check(response, "upload")["markdown"]

    def note(self, merge_request: str, body: str) -> dict:
        response = self.client.post(
            f"{self.base}/merge_requests/{merge_request}/notes",
            headers=self.headers,
            json={"body": body},
        )
        return self._check(response, "note")
