#!/usr/bin/env bash
# Makes sure the system packages that the Python requirements build against are present:
# the MySQL/MariaDB client headers and pkg-config (for mysqlclient).
# As root it installs them with apt-get; otherwise it prints the command to run and fails.
set -euo pipefail

have_headers() {
  command -v pkg-config >/dev/null 2>&1 &&
    { pkg-config --exists mysqlclient 2>/dev/null || pkg-config --exists libmariadb 2>/dev/null; }
}

if have_headers; then
  exit 0
fi

packages="pkg-config default-libmysqlclient-dev build-essential"
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing system packages: $packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq $packages >/dev/null
  have_headers && exit 0
  echo "The MySQL client headers are still missing after apt-get install." >&2
  exit 1
fi

cat >&2 <<MSG
The MySQL client headers and pkg-config are missing; mysqlclient cannot be built without them.
Install them, then run make again:

    sudo apt-get update && sudo apt-get install -y $packages

(On other systems: the package that provides mysqlclient.pc or libmariadb.pc, and pkg-config.)
MSG
exit 1
