#!/usr/bin/env bash
# Makes a local MariaDB ready for the test suite: starts the server when it is not
# running (installing it with apt-get as root when it is missing), creates the
# database user the tests connect as, and writes the connection URL to .ci/mariadb.env.
# Fails with a message when the server cannot be reached: the MariaDB run is never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

HOST=${MARIADB_HOST:-127.0.0.1}
PORT=${MARIADB_PORT:-3306}
DB_USER=${MARIADB_TEST_USER:-gradesys}
DB_PASSWORD=${MARIADB_TEST_PASSWORD:-gradesys-local-test}
DB_NAME=${MARIADB_TEST_DATABASE:-gradesys}

admin() { mysql --protocol=TCP -h "$HOST" -P "$PORT" -uroot "$@"; }

if ! admin -e "SELECT 1" >/dev/null 2>&1; then
  if ! command -v mariadbd >/dev/null 2>&1 && [ ! -x /usr/sbin/mariadbd ]; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
      echo "Installing mariadb-server"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq && apt-get install -y -qq mariadb-server mariadb-client >/dev/null
    else
      echo "MariaDB is not installed and cannot be installed without root." >&2
      exit 1
    fi
  fi
  echo "Starting MariaDB"
  mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld 2>/dev/null || true
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql
  for _ in $(seq 1 60); do
    admin -e "SELECT 1" >/dev/null 2>&1 && break
    sleep 1
  done
fi
if ! admin -e "SELECT 1" >/dev/null 2>&1; then
  echo "MariaDB at $HOST:$PORT cannot be reached as root; the MariaDB test run cannot go on." >&2
  exit 1
fi

# The tests create test_<name> databases (and a few more for the import and replica tests).
admin <<SQL
CREATE USER IF NOT EXISTS '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
ALTER USER '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASSWORD';
GRANT ALL PRIVILEGES ON \`$DB_NAME\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`test\\_$DB_NAME%\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`${DB_NAME}\\_%\`.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
-- The legacy-import tests prove that a hostile statement writes no file even for an account
-- that holds FILE, and that a SELECT-only account they create gets no warning. MariaDB lets an
-- account hand out SELECT on one database only with a global grant option, so this local test
-- account holds these (never use such grants for the product's own account).
-- The export snapshot test reads the export's own transaction from INNODB_TRX: PROCESS.
GRANT FILE, CREATE USER, PROCESS ON *.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
-- A report asks its database how far it lags behind a primary (SHOW REPLICA STATUS), as the
-- product's reports account does on a replica (README, "Reports from a replica").
GRANT SLAVE MONITOR ON *.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1';
GRANT SELECT, SHOW VIEW ON *.* TO '$DB_USER'@'localhost', '$DB_USER'@'127.0.0.1' WITH GRANT OPTION;
CREATE DATABASE IF NOT EXISTS \`$DB_NAME\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
FLUSH PRIVILEGES;
SQL

cat > .ci/mariadb.env <<ENV
export DATABASE_URL=mysql://$DB_USER:$DB_PASSWORD@$HOST:$PORT/$DB_NAME
export DATABASE_URL_DISPLAY=mysql://$DB_USER:***@$HOST:$PORT/$DB_NAME
ENV
echo "MariaDB ready: $(admin -N -e 'SELECT VERSION()')"
