#!/usr/bin/env bash
# Replication setups for the `cluster` tests and .ci/run, each on its own port and data directory:
#
#   MariaDB  127.0.0.1:3321  primary (binary log on)
#            127.0.0.1:3322  its asynchronous replica (GTID, replica threads running, read_only=ON)
#            127.0.0.1:3323  a standalone read_only=ON server
#   PostgreSQL 127.0.0.1:5441 primary, 127.0.0.1:5442 streaming standby (pg_basebackup -R: in recovery)
#
#   replicas.sh start | stop | status | wipe
#
# Data, logs and pid files live under $FLYWAYX_REPLICAS_DIR (default /var/tmp/flywayx-replicas).
# Servers run with setsid so they outlive the caller and are stopped by their own pid files; the main
# servers on 3306 and 5432 are never touched. Idempotent: start starts only what is not running.
set -euo pipefail

BASE="${FLYWAYX_REPLICAS_DIR:-/var/tmp/flywayx-replicas}"
PGBIN="${FLYWAYX_PGBIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)}"
MY_USER=mysql; id "$MY_USER" >/dev/null 2>&1 || MY_USER=root
PG_USER=postgres

# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
die() { echo "replicas.sh: ERROR: $*" >&2; exit 1; }
my() { mariadb -uroot -h127.0.0.1 -P"$1" --connect-timeout=2 -N -B -e "$2"; }

# --- MariaDB ---------------------------------------------------------------------------------------

my_pid() { live_pid mariadbd "$BASE/$1/mysqld.pid"; }

my_start() { # name port extra
  local d="$BASE/$1"
  [ -n "$(my_pid "$1")" ] && return 0
  mariadb_cnf "$d" "$MY_USER" "$2" 16M 60 "$3"
  if [ ! -d "$d/data/mysql" ]; then
    mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal --skip-test-db \
      >"$d/install.log" 2>&1 || die "mariadb-install-db for $1 failed; hint: see $d/install.log"
  fi
  rm -f "$d/mysqld.pid"
  setsid /usr/sbin/mariadbd --defaults-file="$d/my.cnf" </dev/null >>"$d/stdout.log" 2>&1 9>&- &
  local i; for i in $(seq 1 120); do my "$2" "SELECT 1" >/dev/null 2>&1 && return 0; sleep 0.5; done
  tail -n 20 "$d/error.log" >&2 || true
  die "MariaDB $1 on port $2 did not come up; hint: see $d/error.log"
}

start_mariadb() {
  my_start primary 3321 $'server-id=21\nlog-bin=primary-bin\nbinlog_format=ROW'
  my_start replica 3322 $'server-id=22\nlog-bin=replica-bin\nread_only=ON\nrelay-log=replica-relay'
  my_start readonly 3323 $'server-id=23\nread_only=ON'
  if [ "$(my 3322 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = 'system user'")" = "0" ]; then
    my 3322 "STOP SLAVE; CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=3321, MASTER_USER='root', \
MASTER_PASSWORD='', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1; START SLAVE" \
      || die "could not start replication on 3322; hint: see $BASE/replica/error.log"
  fi
  local i
  for i in $(seq 1 60); do
    [ "$(my 3322 "SHOW SLAVE STATUS" | awk -F'\t' '{print $11 $12}')" = "YesYes" ] && return 0
    sleep 0.5
  done
  die "the replica on 3322 does not replicate from 3321; hint: SHOW SLAVE STATUS on port 3322"
}

# --- PostgreSQL ------------------------------------------------------------------------------------

pg_pid() { live_pid postgres "$BASE/$1/postmaster.pid"; }

as_pg() { if [ "$(id -un)" = "$PG_USER" ]; then "$@"; else runuser -u "$PG_USER" -- "$@"; fi; }

pg_launch() { # name port
  local d="$BASE/$1"
  [ -n "$(pg_pid "$1")" ] && return 0
  rm -f "$d/postmaster.pid"
  as_pg setsid "$PGBIN/postgres" -D "$d" -p "$2" -k "$d" -c listen_addresses=127.0.0.1 \
    -c shared_buffers=16MB -c max_connections=40 -c fsync=off </dev/null >>"$BASE/$1.log" 2>&1 9>&- &
  local i; for i in $(seq 1 120); do "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$2" && return 0; sleep 0.5; done
  tail -n 20 "$BASE/$1.log" >&2 || true
  die "PostgreSQL $1 on port $2 did not come up; hint: see $BASE/$1.log"
}

start_postgres() {
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL server binaries not found; hint: apt-get install postgresql or set FLYWAYX_PGBIN"
  mkdir -p "$BASE"; chown "$PG_USER" "$BASE"
  if [ ! -f "$BASE/pgprimary/PG_VERSION" ]; then
    as_pg "$PGBIN/initdb" -D "$BASE/pgprimary" -U postgres --auth=trust >"$BASE/initdb.log" 2>&1 \
      || die "initdb failed; hint: see $BASE/initdb.log"
  fi
  pg_launch pgprimary 5441
  if [ ! -f "$BASE/pgstandby/PG_VERSION" ]; then
    as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p 5441 -U postgres -D "$BASE/pgstandby" -R -X stream \
      >"$BASE/basebackup.log" 2>&1 || die "pg_basebackup failed; hint: see $BASE/basebackup.log"
  fi
  pg_launch pgstandby 5442
  [ "$(psql -h 127.0.0.1 -p 5442 -U postgres -At -c 'SELECT pg_is_in_recovery()')" = "t" ] \
    || die "the server on 5442 is not in recovery; hint: see $BASE/pgstandby.log"
}

stop_all() {
  stop_pid "$(pg_pid pgstandby)" INT; stop_pid "$(pg_pid pgprimary)" INT
  local n; for n in readonly replica primary; do stop_pid "$(my_pid "$n")" TERM; done
}

status() {
  local rc=0 n
  for n in primary:3321 replica:3322 readonly:3323; do
    if [ -n "$(my_pid "${n%%:*}")" ]; then echo "mariadb ${n%%:*} port ${n##*:} up"; else echo "mariadb ${n%%:*} port ${n##*:} down"; rc=1; fi
  done
  for n in pgprimary:5441 pgstandby:5442; do
    if [ -n "$(pg_pid "${n%%:*}")" ]; then echo "postgres ${n%%:*} port ${n##*:} up"; else echo "postgres ${n%%:*} port ${n##*:} down"; rc=1; fi
  done
  return $rc
}

one_at_a_time "$BASE"

case "${1:-}" in
  start) mkdir -p "$BASE"; start_mariadb; start_postgres; status ;;
  stop) stop_all ;;
  status) status ;;
  wipe) stop_all; rm -rf "$BASE" ;;
  *) echo "usage: $0 start|stop|status|wipe" >&2; exit 2 ;;
esac
