#!/usr/bin/env bash
# Makes sure the system packages the project needs are present:
# - the MySQL/MariaDB client headers and pkg-config (for mysqlclient);
# - nginx, the balancer of the local cluster (scripts/cluster.py and its tests). It is only
#   installed, never started or enabled as a service here: the cluster runs its own nginx.
# As root it installs what is missing with apt-get; otherwise it prints the command to run and fails.
set -euo pipefail

have_headers() {
  command -v pkg-config >/dev/null 2>&1 &&
    { pkg-config --exists mysqlclient 2>/dev/null || pkg-config --exists libmariadb 2>/dev/null; }
}
have_nginx() { command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ]; }

packages=""
have_headers || packages="pkg-config default-libmysqlclient-dev build-essential"
have_nginx || packages="$packages nginx"
packages="${packages# }"

if [ -z "$packages" ]; then
  exit 0
fi

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: $packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d keeps Debian's package from starting nginx as a system service on port 80.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get install -y -qq $packages >/dev/null
  if ! have_headers; then
    echo "The MySQL client headers are still missing after apt-get install." >&2
    exit 1
  fi
  if ! have_nginx; then
    echo "nginx is still missing after apt-get install nginx." >&2
    exit 1
  fi
  exit 0
fi

cat >&2 <<MSG
Some system packages are missing: $packages
(the MySQL client headers and pkg-config build mysqlclient; nginx balances the local cluster).
Install them, then run make again:

    sudo apt-get update && sudo apt-get install -y $packages

(On other systems: the package that provides mysqlclient.pc or libmariadb.pc, pkg-config and nginx.)
MSG
exit 1
