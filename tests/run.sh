#!/usr/bin/env bash
# Install what the tests need and run them all: the README's test command, and CI's.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests use: Java for HermiT (the build's reasoner), Virtuoso for the
# remote-store tests against it, rapper to check the dumps, Chromium for the browser tests.
# Installed with one apt-get update.
missing=()
command -v java >/dev/null || missing+=(default-jre-headless)
command -v virtuoso-t >/dev/null || missing+=(virtuoso-opensource-7)
command -v rapper >/dev/null || missing+=(raptor2-utils)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)  # the browser tests drive it with Playwright
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "tests/run.sh: missing Debian packages ${missing[*]}; the tests that need them are skipped" >&2
  fi
fi

python3 -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
ruff check .
ruff format --check .
mypy
python3 -m pytest "$@"
