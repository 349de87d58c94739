#!/usr/bin/env bash
# Install what the tests need and run them all: the README's test command, and CI's.
set -euo pipefail
cd "$(dirname "$0")/.."

# HermiT, the OWL reasoner of the build, runs on Java.
if ! command -v java >/dev/null; then
  apt-get update && apt-get install -y --no-install-recommends default-jre-headless
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
ruff check .
ruff format --check .
mypy
python3 -m pytest "$@"
