#!/usr/bin/env bash
# Makes PostgreSQL and NATS (with JetStream) available for the platform, its tests and CI.
# 1. use them when they answer at the configured addresses;
# 2. otherwise start the machine's installed servers;
# 3. otherwise, as root, install them from Debian packages and start them;
# 4. otherwise say exactly what to install.
# Safe to run any number of times.
set -euo pipefail

PG_HOST=${TPO_PG_HOST:-127.0.0.1}
PG_PORT=${TPO_PG_PORT:-5432}
NATS_HOST=${TPO_NATS_HOST:-127.0.0.1}
NATS_PORT=${TPO_NATS_PORT:-4222}
ROOT_DIR=$(cd "$(dirname "$0")/../.." && pwd)
LOCAL_DIR="$ROOT_DIR/.local"
mkdir -p "$LOCAL_DIR"

log() { printf '[infra] %s\n' "$*" >&2; }
is_root() { [ "$(id -u)" = 0 ]; }
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 60); do port_open "$1" "$2" && return 0; sleep 0.5; done
  return 1
}
apt_install() {
  if ! is_root || ! command -v apt-get >/dev/null; then return 1; fi
  log "installing $* from Debian packages"
  if [ ! -f "$LOCAL_DIR/.apt-updated" ]; then apt-get update -qq && touch "$LOCAL_DIR/.apt-updated"; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

ensure_postgres() {
  if port_open "$PG_HOST" "$PG_PORT"; then log "postgres answers at $PG_HOST:$PG_PORT"; return 0; fi
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1 && ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql || {
      log "PostgreSQL is not reachable at $PG_HOST:$PG_PORT and cannot be installed automatically."
      log "Install it (Debian/Ubuntu: sudo apt-get install postgresql) or set TPO_PG_HOST/TPO_PG_PORT."
      exit 1
    }
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -1)
  log "starting PostgreSQL $version"
  if is_root; then
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  else
    pg_ctlcluster "$version" main start || true
  fi
  wait_port "$PG_HOST" "$PG_PORT" || { log "PostgreSQL did not start; see /var/log/postgresql/"; exit 1; }
}

ensure_nats() {
  if port_open "$NATS_HOST" "$NATS_PORT"; then log "nats answers at $NATS_HOST:$NATS_PORT"; return 0; fi
  if ! command -v nats-server >/dev/null; then
    apt_install nats-server || {
      log "NATS is not reachable at $NATS_HOST:$NATS_PORT and cannot be installed automatically."
      log "Install nats-server >= 2.9 (Debian: sudo apt-get install nats-server) or set TPO_NATS_HOST/TPO_NATS_PORT."
      exit 1
    }
  fi
  local store=/var/lib/nats-server logfile=/var/log/nats-server.log
  if ! is_root; then store="$LOCAL_DIR/nats"; logfile="$LOCAL_DIR/nats-server.log"; fi
  mkdir -p "$store"
  log "starting nats-server with JetStream (store $store)"
  if command -v start-stop-daemon >/dev/null; then
    start-stop-daemon --start --oknodo --background --exec "$(command -v nats-server)" -- \
      -a "$NATS_HOST" -p "$NATS_PORT" -js -sd "$store" -l "$logfile"
  else
    nohup nats-server -a "$NATS_HOST" -p "$NATS_PORT" -js -sd "$store" -l "$logfile" >/dev/null 2>&1 &
  fi
  wait_port "$NATS_HOST" "$NATS_PORT" || { log "nats-server did not start; see $logfile"; exit 1; }
}

# Fresh Debian installs only allow password logins over TCP: give the postgres superuser a
# generated password (kept in .local/, never committed) so the bootstrap can administer.
ensure_pg_admin_access() {
  if [ -n "${TPO_PG_ADMIN_URL:-}" ]; then return 0; fi
  if psql "postgres://postgres@$PG_HOST:$PG_PORT/postgres" -Atqc 'select 1' >/dev/null 2>&1; then return 0; fi
  local pwfile="$LOCAL_DIR/pg-admin-password"
  if [ -f "$pwfile" ] && psql "postgres://postgres:$(cat "$pwfile")@$PG_HOST:$PG_PORT/postgres" -Atqc 'select 1' >/dev/null 2>&1; then return 0; fi
  if is_root && command -v runuser >/dev/null; then
    log "giving the postgres superuser a local generated password (stored in .local/pg-admin-password)"
    head -c 24 /dev/urandom | base64 | tr -d '/+=' > "$pwfile"
    chmod 600 "$pwfile"
    runuser -u postgres -- psql -qc "ALTER ROLE postgres PASSWORD '$(cat "$pwfile")'" >/dev/null
    return 0
  fi
  log "cannot log in to PostgreSQL as postgres; set TPO_PG_ADMIN_URL=postgres://user:password@host:port/postgres"
  exit 1
}

# The cluster test (npm run cluster:test, and its CI size in npm test) starts its own three
# nats-server processes, so the binary must be here even when a NATS server already answers.
ensure_nats_binary() {
  command -v nats-server >/dev/null && return 0
  apt_install nats-server || log "nats-server binary missing (Debian: apt-get install nats-server): the cluster test needs it"
}

ensure_postgres
ensure_nats
ensure_nats_binary
if command -v psql >/dev/null; then ensure_pg_admin_access; fi
log "infrastructure ready"
