#!/bin/sh
# Installs the Holdfast agent from this checkout as a systemd service and enrolls it.
#   HOLDFAST_ENROLL_TOKEN=hf_enr_... sudo --preserve-env=HOLDFAST_ENROLL_TOKEN sh install/install-agent.sh https://holdfast.example.com
# The token comes from `holdfast token create` (or the console); it is read from the environment,
# never from argv, so it does not show in the process list.
set -eu
server="${1:?usage: install-agent.sh SERVER_URL}"
[ -n "${HOLDFAST_ENROLL_TOKEN:-}" ] || { echo "set HOLDFAST_ENROLL_TOKEN (see: holdfast token create)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo)" >&2; exit 2; }
command -v node >/dev/null || { echo "Node.js 20 or newer is required" >&2; exit 2; }

src=$(cd "$(dirname "$0")/.." && pwd)
id holdfast >/dev/null 2>&1 || useradd --system --home-dir /var/lib/holdfast-agent --shell /usr/sbin/nologin holdfast
if [ "$src" != /opt/holdfast ]; then
  mkdir -p /opt/holdfast
  cp -a "$src/." /opt/holdfast/
fi
install -d -m 0700 -o holdfast -g holdfast /var/lib/holdfast-agent
if [ ! -f /var/lib/holdfast-agent/identity.json ]; then
  runuser -u holdfast -- env HOLDFAST_ENROLL_TOKEN="$HOLDFAST_ENROLL_TOKEN" \
    node /opt/holdfast/agent/bin/holdfast-agent.js enroll --server "$server" --data-dir /var/lib/holdfast-agent
fi
install -m 0644 /opt/holdfast/install/holdfast-agent.service /etc/systemd/system/holdfast-agent.service
systemctl daemon-reload
systemctl enable --now holdfast-agent.service
echo "holdfast-agent installed and running; check: systemctl status holdfast-agent" >&2
