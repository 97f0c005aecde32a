#!/bin/sh
# Installs, upgrades, repairs or removes the Holdfast agent on this host (docs/install.md).
#
#   curl -fsSL -k --pinnedpubkey 'sha256//…' https://CP/install/agent.sh -o install.sh
#   HOLDFAST_ENROLL_TOKEN=hf_enr_… sudo --preserve-env=HOLDFAST_ENROLL_TOKEN sh install.sh \
#     --server https://CP --ca-pin sha256:…
#
# Every download (the manifest, the package) goes over a connection pinned to the --ca-pin keys: with
# pins, curl's chain check is off (-k) and the pin check alone decides, so a self-signed control plane
# works and a wrong one is refused. curl checks the LEAF certificate's key, so the pins must include the
# leaf's (the console prints both). The token is read from the environment and reaches the agent in a
# 0600 file owned by the agent's user: never argv, never a world-readable file.
#
# Run again without a token on an enrolled host: upgrades to the control plane's version, or repairs
# the installed one (same steps, enrollment skipped, agent restarted). --uninstall removes what this
# created and keeps the data (and the holdfast user owning it) unless --purge.
set -eu
umask 022

prefix=/opt/holdfast-agent
versions=/opt/holdfast-agent-versions
data=/var/lib/holdfast-agent
confdir=/etc/holdfast
config=$confdir/agent.json
units=/etc/systemd/system
user=holdfast
unit_files="holdfast-agent.service holdfast-agent-upgrade.service holdfast-agent-upgrade.path"

say() { printf '%s\n' "$*"; }
warn() { printf 'holdfast install: warning: %s\n' "$*" >&2; }
# One line saying what to do; the EXIT trap removes what this run staged.
die() {
  printf 'holdfast install: %s\n' "$*" >&2
  exit 1
}
usage() {
  die "usage: HOLDFAST_ENROLL_TOKEN=… sh install.sh --server https://CP [--ca-pin sha256:…]... [--name NAME] [--insecure] | --uninstall [--purge]"
}

server=''
pins=''
name=''
insecure=0
uninstall=0
purge=0
while [ $# -gt 0 ]; do
  case $1 in
    --server) [ $# -ge 2 ] || usage; server=$2; shift 2 ;;
    --server=*) server=${1#*=}; shift ;;
    --ca-pin) [ $# -ge 2 ] || usage; pins="$pins $2"; shift 2 ;;
    --ca-pin=*) pins="$pins ${1#*=}"; shift ;;
    --name) [ $# -ge 2 ] || usage; name=$2; shift 2 ;;
    --name=*) name=${1#*=}; shift ;;
    --insecure) insecure=1; shift ;;
    --uninstall) uninstall=1; shift ;;
    --purge) purge=1; shift ;;
    -h | --help) usage ;;
    *) die "unknown option $1 (see --help)" ;;
  esac
done

[ "$(id -u)" -eq 0 ] || die "run as root: sudo --preserve-env=HOLDFAST_ENROLL_TOKEN sh $0 …"
[ "$(uname -s)" = Linux ] || die "the agent runs on Linux only (this is $(uname -s))"

have() { command -v "$1" >/dev/null 2>&1; }

# systemctl may be absent (a container without systemd): then the units are written and not started.
sysctl() {
  if have systemctl; then
    systemctl "$@"
  else
    warn "no systemctl: skipped systemctl $*"
  fi
}

if [ "$uninstall" -eq 1 ]; then
  # Stopping something already stopped or unknown is not an error here: uninstall must finish.
  for u in holdfast-agent-upgrade.path holdfast-agent-upgrade.service holdfast-agent.service; do
    [ -f "$units/$u" ] && { sysctl disable --now "$u" || warn "could not stop $u"; }
  done
  for u in $unit_files; do rm -f "$units/$u"; done
  rm -rf "$units/holdfast-agent.service.d"
  sysctl daemon-reload || true
  rm -rf "$prefix" "$versions"
  rm -f "$config" "$confdir/upgrade-source.json"
  rmdir "$confdir" 2>/dev/null || true
  if [ "$purge" -eq 1 ]; then
    rm -rf "$data"
    if id "$user" >/dev/null 2>&1; then userdel "$user" || warn "could not remove the user $user"; fi
    say "Removed the Holdfast agent, its data and the $user user."
  else
    # The user stays with the data it owns: a uid freed here could go to another account, which would
    # then own the agent's private key.
    say "Removed the Holdfast agent; kept its data in $data (and the $user user owning it): --uninstall --purge removes them."
  fi
  exit 0
fi

[ "$purge" -eq 0 ] || die "--purge goes with --uninstall"
[ -n "$server" ] || usage
server=${server%/}
# No quotes, spaces or paths: the URL is written into JSON and handed to the agent as is.
printf '%s' "$server" | grep -Eq '^https?://[A-Za-z0-9.-]+(:[0-9]+)?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]+)?$' ||
  die "--server must be a URL like https://holdfast.example.com (no path): got $server"
curl_pins=''
for p in $pins; do
  printf '%s' "$p" | grep -Eq '^sha256:[A-Za-z0-9+/]{43}=$' || die "--ca-pin must look like sha256:<44 base64 characters>: got $p"
  curl_pins="${curl_pins:+$curl_pins;}sha256//${p#sha256:}"
done
case $server in
  https://*) ;;
  http://127.* | http://localhost* | http://\[::1\]*) ;;
  *) [ "$insecure" -eq 1 ] || die "plain http:// to $server: use https://, or pass --insecure to accept an unprotected link" ;;
esac
[ -z "$name" ] || printf '%s' "$name" | grep -Eq '^[A-Za-z0-9._ -]{1,64}$' || die "--name: letters, digits, space, . _ - (at most 64)"

# The operating system: Debian, Ubuntu and the RHEL family are what the agent is built and tested on.
os_id=unknown
if [ -r /etc/os-release ]; then
  # shellcheck disable=SC1091
  os_id=$(. /etc/os-release && printf '%s %s' "${ID:-unknown}" "${ID_LIKE:-}")
fi
case " $os_id " in
  *" debian "* | *" ubuntu "* | *" rhel "* | *" fedora "* | *" centos "* | *" rocky "* | *" almalinux "*) ;;
  *) warn "untested operating system ($os_id): continuing; report problems with the output of this script" ;;
esac

case $(uname -m) in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) die "no agent package for the $(uname -m) architecture (x86_64 and aarch64 are built)" ;;
esac

for tool in curl tar gzip sha256sum useradd; do
  have "$tool" || die "$tool is missing: install it (e.g. apt-get install curl tar gzip coreutils passwd) and run this again"
done
have runuser || have setpriv || die "runuser (util-linux) is missing: install util-linux and run this again"

# The dump tools decide which datasources can be backed up here. None is not fatal: a files
# datasource needs none, and `holdfast-agent doctor` reports a tool missing for a configured engine.
engines=''
have pg_dump && engines="$engines postgresql($(pg_dump --version 2>/dev/null | sed -n '1s/.* //p'))"
{ have mariadb-dump || have mysqldump; } && engines="$engines mysql"
have sqlite3 && engines="$engines sqlite"
have mongodump && engines="$engines mongodb"
if [ -n "$engines" ]; then
  say "Dump tools found:$engines"
else
  warn "no dump tool found (pg_dump, mariadb-dump/mysqldump, sqlite3, mongodump): only files datasources will work until you install one"
fi

work=$(mktemp -d)
staged=''
cleanup() {
  rm -rf "$work"
  [ -z "$staged" ] || rm -rf "$staged"
  [ ! -f "$data/.enroll-token" ] || rm -f "$data/.enroll-token"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# fetch URL_PATH FILE MAX_SECONDS: bounded, retried, pinned when pins were given.
fetch() {
  if [ -n "$curl_pins" ]; then
    set -- -k --pinnedpubkey "$curl_pins" "$@"
  fi
  case $server in http://*) set -- --proto =http "$@" ;; *) set -- --proto =https "$@" ;; esac
  curl -fsS --connect-timeout 15 --retry 3 --retry-delay 2 "$@"
}
get() {
  fetch --max-time "$3" -o "$2" "$server$1" 2>"$work/curl.err" || {
    err=$(tail -n 1 "$work/curl.err")
    case $err in
      *"pinned public key"*) die "$server's certificate matches none of the --ca-pin keys: check the pins the console shows (the leaf's must be among them)" ;;
      *) die "could not download $server$1: ${err:-curl failed}; check --server and that this host reaches it" ;;
    esac
  }
}

get /install/manifest.json "$work/manifest.json" 60
# The manifest is JSON the control plane generates (shared/src/api/install-manifest.ts); it is read
# with sed, each value checked against a strict pattern, so no JSON parser is needed before Node is
# installed. A wrong value cannot do harm: the package's SHA-256 is checked against it below.
flat=$(tr -d ' \t\r\n' <"$work/manifest.json")
version=$(printf '%s' "$flat" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p')
printf '%s' "$version" | grep -Eq '^[0-9A-Za-z.+-]{1,64}$' || die "the control plane's manifest has no valid version: is $server a Holdfast control plane?"
entry=$(printf '%s' "$flat" | sed 's/},{/}\n{/g' | grep '"os":"linux"' | grep "\"arch\":\"$arch\"" | head -n 1 || true)
[ -n "$entry" ] || die "the control plane offers no package for linux-$arch: build it there with npm run package:agent"
pkg_url=$(printf '%s' "$entry" | sed -n 's/.*"url":"\([^"]*\)".*/\1/p')
pkg_sha=$(printf '%s' "$entry" | sed -n 's/.*"sha256":"\([0-9a-f]*\)".*/\1/p')
pkg_size=$(printf '%s' "$entry" | sed -n 's/.*"size":\([0-9]*\).*/\1/p')
printf '%s' "$pkg_url" | grep -Eq '^/install/packages/[A-Za-z0-9._-]+\.tar\.gz$' || die "the manifest's package URL is invalid: $pkg_url"
printf '%s' "$pkg_sha" | grep -Eq '^[0-9a-f]{64}$' || die "the manifest's package SHA-256 is invalid"
printf '%s' "$pkg_size" | grep -Eq '^[0-9]{1,12}$' || die "the manifest's package size is invalid"

say "Downloading holdfast-agent $version for linux-$arch ($pkg_size bytes)…"
get "$pkg_url" "$work/package.tar.gz" 900
size=$(wc -c <"$work/package.tar.gz" | tr -d ' ')
[ "$size" = "$pkg_size" ] || die "the package is $size bytes, the manifest says $pkg_size: nothing was installed; run this again (an interrupted or tampered download)"
sum=$(sha256sum "$work/package.tar.gz" | cut -d' ' -f1)
[ "$sum" = "$pkg_sha" ] || die "the package's SHA-256 does not match the manifest: nothing was installed; do not retry blindly, check the control plane's agent-packages"

# Unpacked beside the installed versions, root-owned and read-only to the agent's user, then moved
# into place: the running agent's version dir is replaced only when repairing that same version.
mkdir -p "$versions"
chmod 0755 "$versions"
staged=$(mktemp -d "$versions/.staging.XXXXXX")
# The agent user runs the new version's enroll from here.
chmod 0755 "$staged"
tar -xzf "$work/package.tar.gz" -C "$staged" --no-same-owner --no-same-permissions ||
  die "the package does not unpack (disk full?): nothing was installed; free space and run this again"
top=$staged/holdfast-agent-$version
if [ ! -x "$top/bin/holdfast-agent" ] || [ "$(cat "$top/VERSION" 2>/dev/null)" != "$version" ]; then
  die "the package does not hold holdfast-agent-$version/bin/holdfast-agent and its VERSION: rebuild it with npm run package:agent"
fi
chown -R root:root "$top"
chmod -R go-w "$top"

previous=''
[ -L "$prefix" ] && previous=$(readlink "$prefix")

if ! id "$user" >/dev/null 2>&1; then
  # No groups beyond its own: reading a database's socket or files is granted per path by
  # `holdfast-agent allow-path`, which adds SupplementaryGroups= in a drop-in.
  useradd --system --user-group --home-dir "$data" --no-create-home --shell /usr/sbin/nologin "$user" ||
    die "could not create the $user user: run this again, or create it with useradd --system $user"
  say "Created the system user $user (no login, no extra groups)."
fi
install -d -m 0700 -o "$user" -g "$user" "$data"
chown "$user:$user" "$data"
chmod 0700 "$data"

as_agent() {
  if have runuser; then
    runuser -u "$user" -- "$@"
  else
    setpriv --reuid="$user" --regid="$user" --init-groups -- "$@"
  fi
}

enrolled=0
if [ -f "$data/identity.json" ]; then
  say "Already enrolled (identity in $data): enrollment skipped."
else
  [ -n "${HOLDFAST_ENROLL_TOKEN:-}" ] ||
    die "this host is not enrolled: set HOLDFAST_ENROLL_TOKEN (the console's Add agent, or holdfast token create) and run this again"
  # printf is a builtin: the token is in no process's argv; the file is the agent user's, 0600.
  (umask 077 && printf '%s\n' "$HOLDFAST_ENROLL_TOKEN" >"$data/.enroll-token")
  chown "$user:$user" "$data/.enroll-token"
  set -- enroll --server "$server" --data-dir "$data" --token-file "$data/.enroll-token"
  [ -z "$name" ] || set -- "$@" --name "$name"
  for p in $pins; do set -- "$@" --ca-pin "$p"; done
  [ "$insecure" -eq 0 ] || set -- "$@" --insecure
  if ! (unset HOLDFAST_ENROLL_TOKEN && as_agent "$top/bin/holdfast-agent" "$@" >"$work/agent-id"); then
    die "enrollment failed (the agent's reason is above): with a new token (tokens expire and work once), run the same command again"
  fi
  rm -f "$data/.enroll-token"
  enrolled=1
  say "Enrolled with $server as agent $(cat "$work/agent-id")."
fi

# Never restart the agent under a running backup: the installed agent reads its own database (as
# its user) for a run holding the slot. A version without that check (older than this script) is
# upgraded anyway, with a warning.
if [ -n "$previous" ] && [ "$enrolled" -eq 0 ]; then
  if running=$(as_agent "$prefix/bin/holdfast-agent" upgrade --running-run --data-dir "$data" 2>/dev/null); then
    [ -z "$running" ] || die "a backup is running (run $running): run this again when it has finished, or use holdfast-agent upgrade, which waits for it"
  else
    warn "could not ask the installed agent whether a backup is running: upgrading anyway"
  fi
fi

# Into place: the version dir, then the symlink swapped in one rename (ln + mv -T).
dest=$versions/$version
if [ -e "$dest" ]; then
  rm -rf "$dest.old"
  mv "$dest" "$dest.old"
fi
mv "$top" "$dest"
rm -rf "$staged" "$dest.old"
staged=''
ln -sfn "$dest" "$prefix.new"
mv -T "$prefix.new" "$prefix"
# The previous version stays for a rollback; older ones go.
for d in "$versions"/*; do
  [ -d "$d" ] || continue
  [ "$d" = "$dest" ] || [ "$d" = "$previous" ] || rm -rf "$d"
done

install -d -m 0755 "$confdir"
if [ ! -f "$config" ]; then
  # Settings the agent reads at start-up (its HOLDFAST_* keys); kept as edited on later runs.
  (umask 077 && printf '{\n  "servers": ["%s"]\n}\n' "$server" >"$config.tmp")
  mv "$config.tmp" "$config"
  say "Wrote $config."
fi
chown "$user:$user" "$config"
chmod 0600 "$config"
# Root's own record of where upgrades come from (holdfast-agent upgrade --apply re-checks a request
# against this control plane's manifest): root-owned, so the agent's user cannot redirect it.
pins_json=''
for p in $pins; do pins_json="${pins_json:+$pins_json, }\"$p\""; done
insecure_json=false
[ "$insecure" -eq 0 ] || insecure_json=true
printf '{ "serverUrl": "%s", "pins": [%s], "insecure": %s }\n' "$server" "$pins_json" "$insecure_json" >"$confdir/upgrade-source.json.tmp"
chmod 0644 "$confdir/upgrade-source.json.tmp"
mv "$confdir/upgrade-source.json.tmp" "$confdir/upgrade-source.json"

for u in $unit_files; do
  if [ -f "$dest/share/$u" ]; then
    install -m 0644 "$dest/share/$u" "$units/$u"
  else
    warn "the package has no share/$u"
  fi
done
sysctl daemon-reload
sysctl enable --now holdfast-agent.service
[ ! -f "$units/holdfast-agent-upgrade.path" ] || sysctl enable --now holdfast-agent-upgrade.path
# A running agent keeps the old code until it restarts (enable --now does not restart it).
[ "$enrolled" -eq 1 ] || sysctl restart holdfast-agent.service

if [ -z "$previous" ]; then
  say "Installed holdfast-agent $version in $dest ($prefix), data in $data, settings in $config."
elif [ "$previous" = "$dest" ]; then
  say "Repaired holdfast-agent $version in $dest and restarted it."
else
  say "Upgraded holdfast-agent from $(basename "$previous") to $version and restarted it."
fi
say "Check it with: systemctl status holdfast-agent (and holdfast-agent doctor)."
