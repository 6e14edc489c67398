# What galera.sh and replicas.sh share (sourced by both): a MariaDB server's my.cnf, the pid of a live server,
# stopping a pid, and the lock that lets one invocation of a script run at a time. The caller defines die().

mariadb_cnf() { # dir user port buffer-pool max-connections extra-lines: write dir/my.cnf, owned by user
  local d=$1; mkdir -p "$d/data" "$d/tmp"
  cat >"$d/my.cnf" <<CNF
[mysqld]
user=$2
datadir=$d/data
tmpdir=$d/tmp
socket=$d/mysqld.sock
pid-file=$d/mysqld.pid
log-error=$d/error.log
port=$3
bind-address=127.0.0.1
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_general_ci
performance_schema=OFF
innodb_buffer_pool_size=$4
innodb_log_file_size=16M
max_connections=$5
$6
CNF
  chown -R "$2" "$d"
}

live_pid() { # program pid-file...: the pid in the first file that names a live process of program, or nothing
  local program=$1 f p; shift
  for f in "$@"; do
    [ -s "$f" ] || continue
    p=$(head -n1 "$f")
    if kill -0 "$p" 2>/dev/null && grep -q "$program" "/proc/$p/cmdline" 2>/dev/null; then echo "$p"; return 0; fi
  done
}

stop_pid() { # pid signal [name]: send signal, wait up to 30 s for the exit, then SIGKILL (saying so for name)
  [ -n "$1" ] || return 0
  kill "-$2" "$1" 2>/dev/null || true
  local i; for i in $(seq 1 300); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  [ -z "${3:-}" ] || echo "$3 did not stop in 30 s, killing it" >&2
  kill -KILL "$1" 2>/dev/null || true
}

one_at_a_time() { # base: hold base.lock while this invocation runs (test workers may call start together)
  mkdir -p "$(dirname "$1")"
  exec 9>"$1.lock"
  flock -w 600 9 || die "another $(basename "$0") has held $1.lock for 10 minutes"
}
