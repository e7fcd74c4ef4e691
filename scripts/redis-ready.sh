#!/usr/bin/env bash
# Makes sure a Redis server answers on 127.0.0.1:6379 for the tests of the Redis cache
# backend: starts one (and, as root, installs Debian's package) when none answers.
set -euo pipefail

answers() { (exec 3<>/dev/tcp/127.0.0.1/6379 && printf 'PING\r\n' >&3 && head -c 5 <&3 | grep -q PONG) 2>/dev/null; }

if answers; then
  exit 0
fi
if ! command -v redis-server >/dev/null; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "No Redis on 127.0.0.1:6379 and no redis-server: run 'apt-get install redis-server' as root." >&2
    exit 1
  fi
fi
redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
for _ in $(seq 50); do
  answers && exit 0
  sleep 0.1
done
echo "Redis did not start on 127.0.0.1:6379." >&2
exit 1
