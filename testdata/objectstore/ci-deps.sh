#!/usr/bin/env bash
# What the object-store tests (cli/tests/suite/objectstore) need, installed idempotently and
# non-interactively: a real S3 API server (moto's standalone server, with boto3 to set it up)
# from PyPI, and nginx (a real HTTP server with Range and If-Match) from Debian.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../../.ci/deps.sh"

if ! python3 -c 'import moto.server, boto3' >/dev/null 2>&1 || ! command -v moto_server >/dev/null; then
  pip_install 'moto[server]>=5,<6' 'boto3>=1.34'
fi

if ! command -v nginx >/dev/null && [ ! -x /usr/sbin/nginx ]; then
  apt_install nginx-light || apt_install nginx
fi
# The test starts its own nginx on 127.0.0.1 with its own config; stop the packaged one if the
# package's post-install started it (it would hold port 80 for nothing).
if command -v systemctl >/dev/null 2>&1; then systemctl stop nginx >/dev/null 2>&1 || true; fi
echo "objectstore: $(moto_server --help >/dev/null 2>&1 && echo moto_server ok), $(/usr/sbin/nginx -v 2>&1)"
