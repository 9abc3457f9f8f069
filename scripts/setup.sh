#!/usr/bin/env bash
# One command for a fresh Debian 12 machine (run as root from the repository):
#   installs what berth needs (Debian packages, npm packages, the build), starts berthd in the background,
#   loads a busybox image made locally from Debian's static busybox, and runs a first container.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
PIDFILE=/run/berth/berthd.pid
LOGFILE=/var/log/berthd.log
SOCKET=/run/berth/berth.sock

if [ "$(id -u)" != 0 ]; then echo "setup: run as root (berthd needs namespaces, mounts and cgroups)" >&2; exit 1; fi

echo "==> Debian packages"
export DEBIAN_FRONTEND=noninteractive
# runc + conmon run containers; busybox-static makes the bundled image; attr/zstd/util-linux serve layer
# unpacking and mounts; procps gives `top` its ps; tini is --init; bsdutils has `script` (pty tests); iptables/iproute2
# for networking; docker.io is the real Docker Engine the interop
# tests and benchmarks compare against (its daemon is only ever started privately by tests, never as a service);
# docker-registry (distribution 2.8) and skopeo are the registry software berth must interoperate with;
# python3-docker is docker-py, a client the build tests drive berthd with (through Debian's /usr/bin/python3).
PACKAGES=(runc conmon iptables iproute2 busybox-static zstd attr util-linux bsdutils procps bzip2 xz-utils tini openssl docker.io docker-registry skopeo python3-docker)
missing=()
for p in "${PACKAGES[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

echo "==> npm packages and build"
# `npm install` rather than `npm ci`: node-unix-socket lists optional per-platform packages that are not all
# published, which `npm ci` reports as a lockfile mismatch; `npm install` installs the locked versions.
npm install --no-fund --no-audit --loglevel=error
npm run --silent build
ln -sf "$REPO/bin/berth" /usr/local/bin/berth
ln -sf "$REPO/bin/berthd" /usr/local/bin/berthd

echo "==> busybox image"
mkdir -p images
node scripts/make-busybox-image.mjs images/busybox.tar >/dev/null

echo "==> berthd"
if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
  old=$(cat "$PIDFILE")
  echo "stopping the berthd already running (pid $old) to start this build"
  kill "$old"
  for _ in $(seq 1 100); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
fi
mkdir -p /run/berth
nohup "$REPO/bin/berthd" --pidfile "$PIDFILE" >>"$LOGFILE" 2>&1 </dev/null &
for _ in $(seq 1 100); do
  "$REPO/bin/berth" -H "unix://$SOCKET" version >/dev/null 2>&1 && break
  sleep 0.1
done
"$REPO/bin/berth" -H "unix://$SOCKET" version >/dev/null || { echo "berthd did not start; see $LOGFILE" >&2; tail -20 "$LOGFILE" >&2; exit 1; }
echo "berthd is running (pid $(cat "$PIDFILE"), log $LOGFILE, socket $SOCKET)"

"$REPO/bin/berth" -H "unix://$SOCKET" load -i images/busybox.tar
"$REPO/bin/berth" -H "unix://$SOCKET" run --rm busybox echo hello from berth
