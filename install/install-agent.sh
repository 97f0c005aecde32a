#!/bin/sh
# Installs the Holdfast agent from this checkout (built: npm ci && npm run build) as a systemd
# service and enrolls it.
#   HOLDFAST_ENROLL_TOKEN=hf_enr_... sudo --preserve-env=HOLDFAST_ENROLL_TOKEN sh install/install-agent.sh https://holdfast.example.com
# The token comes from `holdfast token create` (or the console). It is read from the environment and
# handed to the agent in a file, never on a command line, so it does not show in the process list.
# Only the agent and its production dependencies go to /opt/holdfast (replaced as a whole).
set -eu
server="${1:?usage: install-agent.sh SERVER_URL}"
[ -n "${HOLDFAST_ENROLL_TOKEN:-}" ] || { echo "set HOLDFAST_ENROLL_TOKEN (see: holdfast token create)" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo)" >&2; exit 2; }
command -v node >/dev/null || { echo "Node.js 20 or newer is required" >&2; exit 2; }
command -v npm >/dev/null || { echo "npm is required (it lists the agent's dependencies)" >&2; exit 2; }

here=$(cd "$(dirname "$0")" && pwd -P)
. "$here/install-agent-lib.sh"
prefix=/opt/holdfast
user=holdfast
data=/var/lib/holdfast-agent

id "$user" >/dev/null 2>&1 || useradd --system --home-dir "$data" --shell /usr/sbin/nologin "$user"
copy_agent "$here/.." "$prefix"
# Whoever owns the checkout must not be able to change what the service runs.
chown -R root:root "$prefix"
install -d -m 0700 -o "$user" -g "$user" "$data"
[ -f "$data/identity.json" ] || enroll_agent "$server" "$prefix" "$data" "$user"
install -m 0644 "$here/holdfast-agent.service" /etc/systemd/system/holdfast-agent.service
systemctl daemon-reload
systemctl enable holdfast-agent.service
systemctl restart holdfast-agent.service
echo "holdfast-agent installed and running; check: systemctl status holdfast-agent" >&2
