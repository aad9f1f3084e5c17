#!/usr/bin/env bash
# Tests of the production profile (deploy/): starts PostgreSQL, Redis, the action server, two
# Rasa servers and nginx on free loopback ports in var/prod-test/, then kills some on purpose.
# Needs root and Debian's postgresql, redis-server and nginx; takes about 3-5 minutes.
#   bash deploy/test_prod.sh                              # all of them
#   bash deploy/test_prod.sh -k redis                     # some (pytest options)
#   bash deploy/test_prod.sh tests/prod/test_failover.py  # one file
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v redis-server >/dev/null || missing+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
if [ ${#missing[@]} -gt 0 ]; then
    echo "installing ${missing[*]} (Debian packages)"
    apt-get update -qq && apt-get install -y -qq "${missing[@]}"
fi
# Limits and socket.io first, the store's PostgreSQL race tests, faults next, failover last (it
# kills a Rasa server and waits for it to return).
files=(tests/prod/test_limits.py tests/prod/test_socketio.py tests/prod/test_store_postgres.py
       tests/prod/test_faults.py tests/prod/test_failover.py)
for arg in "$@"; do
    case "$arg" in tests/*) files=() ;; esac
done
# -rs: a test that skips says why (pyproject.toml has it too; repeated for older pytest options).
RUN_PROD_TESTS=1 exec .venv/bin/python -m pytest -p no:cacheprovider -s -rs "${files[@]}" "$@"
