#!/usr/bin/env bash
# Starts PostgreSQL and NATS (JetStream) the way this machine kind does, if they are not up.
set -uo pipefail
up() { timeout 2 bash -c "echo > /dev/tcp/127.0.0.1/$1" 2>/dev/null; }
if ! up 5432; then
  echo "starting PostgreSQL"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
fi
if ! up 4222; then
  echo "starting nats-server with JetStream"
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
fi
for i in $(seq 1 30); do
  if up 5432 && up 4222; then exit 0; fi
  sleep 1
done
echo "PostgreSQL (5432) or NATS (4222) did not come up" >&2
exit 1
