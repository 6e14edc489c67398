#!/usr/bin/env bash
# A 3-node MariaDB Galera cluster on loopback for the `cluster` tests and .ci/run.
#
#   galera.sh start            install galera-4 if missing, start the nodes not running (idempotent)
#   galera.sh stop             stop every node by its own pid file (idempotent)
#   galera.sh status           one line per node: pid, port, wsrep state, cluster size
#   galera.sh start-node N     start node N alone (it rejoins the running cluster)
#   galera.sh stop-node N      stop node N alone (SIGTERM, by its pid file)
#   galera.sh kill-node N      SIGKILL node N's mariadbd (fault tests)
#   galera.sh wipe             stop, then delete the data directory
#
# Node N (1..3) listens on 127.0.0.1:331N (SQL), 457N (gcomm), 458N (IST), 459N (rsync SST).
# Data, logs and pid files live under $FLYWAYX_GALERA_DIR (default /var/tmp/flywayx-galera).
# Nodes run with setsid so they outlive the caller; the main server on 3306 is never touched.
set -euo pipefail

BASE="${FLYWAYX_GALERA_DIR:-/var/tmp/flywayx-galera}"
PROVIDER="${FLYWAYX_GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}"
NODES=(1 2 3)
RUN_USER=mysql
id "$RUN_USER" >/dev/null 2>&1 || RUN_USER=root

# shellcheck source=servers.sh
. "$(dirname "$0")/servers.sh"
die() { echo "galera.sh: ERROR: $*" >&2; exit 1; }
node_dir() { echo "$BASE/node$1"; }
port() { echo "331$1"; }

ensure_installed() {
  [ -f "$PROVIDER" ] && command -v rsync >/dev/null && return 0
  command -v apt-get >/dev/null || die "galera-4 is not installed and apt-get is missing; hint: install galera-4 and rsync"
  local failed="$BASE.install-failed"  # a failed install is not retried for an hour: callers fail at once
  if [ -n "$(find "$failed" -mmin -60 2>/dev/null)" ]; then
    die "apt-get install galera-4 rsync failed earlier ($(cat "$failed")); hint: install them by hand, then rm $failed"
  fi
  echo "galera.sh: installing galera-4 and rsync" >&2
  export DEBIAN_FRONTEND=noninteractive
  timeout 180 apt-get update -qq >/dev/null 2>&1 || true
  if ! timeout 300 apt-get install -y -qq galera-4 rsync >"$BASE.install.log" 2>&1; then
    date -u +%FT%TZ >"$failed"
    die "apt-get install galera-4 rsync failed; hint: see $BASE.install.log, install them by hand"
  fi
  [ -f "$PROVIDER" ] || die "galera-4 installed but $PROVIDER is missing; hint: set FLYWAYX_GALERA_PROVIDER"
}

write_config() { # node
  local n=$1
  mariadb_cnf "$(node_dir "$n")" "$RUN_USER" "$(port "$n")" 32M 100 "binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
wsrep_on=ON
wsrep_provider=$PROVIDER
wsrep_cluster_name=flywayx-test
wsrep_cluster_address=gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573
wsrep_node_name=node$n
wsrep_node_address=127.0.0.1:457$n
wsrep_node_incoming_address=127.0.0.1:$(port "$n")
wsrep_provider_options=\"gmcast.listen_addr=tcp://127.0.0.1:457$n;ist.recv_addr=127.0.0.1:458$n;gcache.size=32M;evs.suspect_timeout=PT3S;evs.inactive_timeout=PT6S;evs.install_timeout=PT5S\"
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:459$n
wsrep_slave_threads=2"
}

pid_of() { # node -> pid of a live mariadbd, or nothing
  # mysqld.pid is written by mariadbd only once a state transfer is done; launch.pid as soon as it starts
  live_pid mariadbd "$(node_dir "$1")/mysqld.pid" "$(node_dir "$1")/launch.pid"
}

sql() { # node, statement
  mariadb -uroot -h127.0.0.1 -P"$(port "$1")" --connect-timeout=2 -N -B -e "$2" 2>/dev/null
}

wsrep_state() { sql "$1" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='WSREP_LOCAL_STATE_COMMENT'" || true; }

wait_synced() { # node, seconds
  local n=$1 i
  for i in $(seq 1 $(( $2 * 2 ))); do
    [ "$(wsrep_state "$n")" = "Synced" ] && return 0
    [ -n "$(pid_of "$n")" ] || { tail -n 20 "$(node_dir "$n")/error.log" >&2 || true; die "node $n exited while starting; hint: see $(node_dir "$n")/error.log"; }
    sleep 0.5
  done
  tail -n 20 "$(node_dir "$n")/error.log" >&2 || true
  die "node $n is not Synced after $2 s; hint: see $(node_dir "$n")/error.log"
}

launch() { # node, extra mariadbd args...
  local n=$1; shift
  local d; d=$(node_dir "$n")
  write_config "$n"
  rm -f "$d/mysqld.pid"
  setsid /usr/sbin/mariadbd --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/stdout.log" 2>&1 9>&- &
  echo $! >"$d/launch.pid"  # setsid execs mariadbd in place (a background job is no group leader)
}

any_running() { local n; for n in "${NODES[@]}"; do [ -n "$(pid_of "$n")" ] && return 0; done; return 1; }

bootstrap() { # node
  local n=$1 d; d=$(node_dir "$n")
  if [ ! -d "$d/data/mysql" ]; then
    write_config "$n"
    mariadb-install-db --defaults-file="$d/my.cnf" --auth-root-authentication-method=normal \
      --skip-test-db >"$d/install.log" 2>&1 || die "mariadb-install-db failed; hint: see $d/install.log"
  fi
  # a test cluster may have stopped in any order (or been killed): this node is made the new primary
  [ -f "$d/data/grastate.dat" ] && sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$d/data/grastate.dat"
  launch "$n" --wsrep-new-cluster
  wait_synced "$n" 60
}

start_node() { # node
  local n=$1
  [ -n "$(pid_of "$n")" ] && { wait_synced "$n" 60; return 0; }
  if any_running; then launch "$n"; wait_synced "$n" 90; else bootstrap "$n"; fi
}

stop_node() { # node
  stop_pid "$(pid_of "$1")" TERM "galera.sh: node $1"
}

status() {
  local n p rc=0
  for n in "${NODES[@]}"; do
    p=$(pid_of "$n")
    if [ -z "$p" ]; then echo "node$n port $(port "$n") down"; rc=1; continue; fi
    echo "node$n port $(port "$n") pid $p state $(wsrep_state "$n") size $(sql "$n" "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME='WSREP_CLUSTER_SIZE'" || echo '?')"
  done
  return $rc
}

one_at_a_time "$BASE"

case "${1:-}" in
  start)
    ensure_installed
    mkdir -p "$BASE"
    for n in "${NODES[@]}"; do start_node "$n"; done
    status ;;
  stop) for n in 3 2 1; do stop_node "$n"; done ;;
  status) status ;;
  start-node) ensure_installed; start_node "${2:?node number}" ;;
  stop-node) stop_node "${2:?node number}" ;;
  kill-node) p=$(pid_of "${2:?node number}"); [ -n "$p" ] && kill -KILL "$p"; true ;;
  wipe) for n in 3 2 1; do stop_node "$n"; done; rm -rf "$BASE" ;;
  *) echo "usage: $0 start|stop|status|start-node N|stop-node N|kill-node N|wipe" >&2; exit 2 ;;
esac
