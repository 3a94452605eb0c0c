#!/usr/bin/env bash
# Run a Python script with the Python the tests need: the first python3 that
# imports the modules scripts/deps.sh installs from Debian
# (python3-jsonschema, python3-selenium). A pyenv or venv python3 earlier in
# PATH does not see Debian's packages; /usr/bin/python3 does.
# Usage: scripts/python.sh SCRIPT|- [ARG...]
set -euo pipefail
for p in python3 /usr/bin/python3; do
    if "$p" -c 'import jsonschema, selenium' 2>/dev/null; then
        exec "$p" "$@"
    fi
done
echo "scripts/python.sh: no python3 imports jsonschema and selenium" \
     "(scripts/deps.sh installs python3-jsonschema and python3-selenium)" >&2
exit 1
