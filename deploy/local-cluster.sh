#!/usr/bin/env bash
# A real cluster on one machine, on loopback: a private PostgreSQL (or Azurite, CC_STORAGE=azure), 3 silos and 2 gRPC
# gateways.
#
#   deploy/local-cluster.sh start            build, start the storage (PostgreSQL: apply the schema), 3 silos + 2 gateways
#   deploy/local-cluster.sh stop             stop everything by PID (the database files stay in the state dir)
#   deploy/local-cluster.sh status           what runs, with PIDs and addresses
#   deploy/local-cluster.sh stop-services    stop silos and gateways, keep PostgreSQL (a whole-cluster restart)
#   deploy/local-cluster.sh start-services   start silos and gateways again
#   deploy/local-cluster.sh kill-silo N      kill -9 silo N (1-3)
#   deploy/local-cluster.sh storage-stop|storage-start   stop or start the storage alone (PostgreSQL or Azurite)
#   deploy/local-cluster.sh destroy          stop everything and delete the state dir
#   deploy/local-cluster.sh token --sub cm-ana --role case_manager --org city
#                                            a bearer token the cluster's gateways accept (see README, Security)
#
# Environment: CC_CLUSTER_DIR (state, logs, PIDs; default /tmp/care-coordination-cluster), CC_PG_PORT (55432),
# CC_STORAGE (postgres, or azure: Azure Table storage on Azurite from tools/azurite, table port CC_AZURITE_PORT, 10102),
# CC_SILO_PORT (21111: silo i uses +i), CC_ORLEANS_GATEWAY_PORT (31000: +i), CC_GRPC_PORT (5090: gateway i uses +i),
# CC_MANAGEMENT_PORT (5190: gateway i's health probes and Prometheus metrics on +i),
# CC_SILO_MANAGEMENT_PORT (5290: silo i's health probes and Prometheus metrics on +i),
# CC_DASHBOARD=1 (the Orleans dashboard on every silo, its pages on CC_DASHBOARD_PORT + i of gateway i, default 5280;
# sign in with a cluster_operator token, see README), CC_TRACES=console (every process writes its spans to its log),
# CC_BIN (folder with built CareCoordination.Silo.dll and CareCoordination.Gateway.dll; default: build Release there),
# CC_EXTRA_ARGS (more --Key=Value settings for every silo and gateway, e.g. --CareGaps:ClockTick=00:00:05).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${CC_CLUSTER_DIR:-/tmp/care-coordination-cluster}
pg_port=${CC_PG_PORT:-55432}
silo_port=${CC_SILO_PORT:-21111}
orleans_gateway_port=${CC_ORLEANS_GATEWAY_PORT:-31000}
management_port=${CC_MANAGEMENT_PORT:-5190}
silo_management_port=${CC_SILO_MANAGEMENT_PORT:-5290}
dashboard_port=${CC_DASHBOARD_PORT:-5280}
grpc_port=${CC_GRPC_PORT:-5090}
bin=${CC_BIN:-$dir/bin}
pgdata=$dir/pgdata
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
# Each process keeps one Npgsql pool (Orleans' providers and the feed store share it) of at most 20 connections:
# 5 processes stay far below the server's max_connections set below, with room for psql and the fault tests.
storage=${CC_STORAGE:-postgres}
azurite_port=${CC_AZURITE_PORT:-10102}
azurite_bin=$root/tools/azurite/node_modules/.bin/azurite-table
if [ "$storage" = azure ]; then
  # Azurite's fixed development account (public, documented by Microsoft); a real account is reached by
  # Storage:AzureTableServiceUri and a managed identity instead (README, Modes and storage).
  key="Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
  cs="DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;TableEndpoint=http://127.0.0.1:$azurite_port/devstoreaccount1;"
  storage_args=(--Storage:Provider=AzureStorage "--Storage:AzureConnectionString=$cs")
else
  cs="Host=127.0.0.1;Port=$pg_port;Database=care;Username=care;Pooling=true;Maximum Pool Size=20;Timeout=5;Command Timeout=15"
  storage_args=(--Storage:Provider=Postgres "--Storage:PostgresConnectionString=$cs")
fi
common=("${storage_args[@]}" --Orleans:ClusterId=local-cluster --Logging:LogLevel:Default=Warning ${CC_EXTRA_ARGS:-})
[ "${CC_DASHBOARD:-0}" = 1 ] && common+=(--Dashboard:Enabled=true)
[ "${CC_TRACES:-}" = console ] && common+=(--Telemetry:Console=true)

mkdir -p "$dir/pids" "$dir/logs"

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

pg_start() {
  [ -n "$pgbin" ] || { echo "PostgreSQL server binaries not found: apt-get install -y postgresql" >&2; exit 1; }
  if [ ! -f "$pgdata/PG_VERSION" ]; then
    mkdir -p "$pgdata" "$dir/pglog"; [ "$(id -u)" = 0 ] && chown postgres "$pgdata" "$dir/pglog"
    as_pg "$pgbin/initdb" -D "$pgdata" -U postgres --auth=trust >"$dir/logs/initdb.log"
    echo "listen_addresses = '127.0.0.1'" >>"$pgdata/postgresql.conf"
    echo "unix_socket_directories = ''" >>"$pgdata/postgresql.conf"
    echo "max_connections = 200" >>"$pgdata/postgresql.conf"
    fresh=1
  fi
  as_pg "$pgbin/pg_ctl" -D "$pgdata" -o "-p $pg_port" -l "$dir/pglog/postgres.log" -w start >/dev/null
  if [ "${fresh:-0}" = 1 ]; then
    as_pg "$pgbin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -qc "CREATE ROLE care LOGIN" -c "CREATE DATABASE care OWNER care"
  fi
  echo "postgresql on 127.0.0.1:$pg_port"
}

pg_stop() { [ -f "$pgdata/postmaster.pid" ] && as_pg "$pgbin/pg_ctl" -D "$pgdata" -m fast -w stop >/dev/null || true; }

azurite_start() {
  if [ ! -x "$azurite_bin" ]; then
    (cd "$root/tools/azurite" && npm ci --no-audit --no-fund) >"$dir/logs/npm.log" 2>&1 \
      || { echo "could not install Azurite (see $dir/logs/npm.log)" >&2; exit 1; }
  fi
  running azurite && return 0
  mkdir -p "$dir/azurite"
  nohup "$azurite_bin" --tableHost 127.0.0.1 --tablePort "$azurite_port" --location "$dir/azurite" --disableTelemetry \
    --skipApiVersionCheck >>"$dir/logs/azurite.log" 2>&1 &
  echo $! >"$dir/pids/azurite.pid"
  wait_port "$azurite_port" azurite
  echo "azurite (table service) on 127.0.0.1:$azurite_port"
}

# SIGINT: Azurite saves its data and exits (it keeps data in memory and saves every 5 s; SIGTERM would lose the last
# seconds), like a storage account that stops answering and comes back with everything it acknowledged.
azurite_stop() { stop_pid azurite INT; }

storage_start() { if [ "$storage" = azure ]; then azurite_start; else pg_start; fi; }
storage_stop() { if [ "$storage" = azure ]; then azurite_stop; else pg_stop; fi; }

build() {
  if [ -z "${CC_BIN:-}" ]; then
    dotnet build "$root/src/Gateway/CareCoordination.Gateway.csproj" -c Release -o "$bin" -v quiet -nologo >"$dir/logs/build.log"
  fi
}

running() { [ -f "$dir/pids/$1.pid" ] && kill -0 "$(cat "$dir/pids/$1.pid")" 2>/dev/null; }

start_one() { # name, args... (skipped when already running, so start-services brings back only what is down)
  local name=$1; shift
  running "$name" && return 0
  echo "=== $(date -u +%FT%TZ) start $name" >>"$dir/logs/$name.log"   # appended: a restart keeps what came before
  (cd "$bin" && exec nohup dotnet "$@" >>"$dir/logs/$name.log" 2>&1) &
  echo $! >"$dir/pids/$name.pid"
}

wait_port() { # port, process name: its own port, so a process that exited is not mistaken for another listener
  for _ in $(seq 1 150); do
    running "$2" || { echo "$2 exited before opening port $1 (see $dir/logs/$2.log)" >&2; return 1; }
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.2
  done
  echo "$2 did not open port $1 (see $dir/logs)" >&2; return 1
}

start_services() {
  for i in 1 2 3; do
    start_one "silo$i" "$bin/CareCoordination.Silo.dll" "${common[@]}" \
      --Orleans:SiloPort=$((silo_port + i)) --Orleans:GatewayPort=$((orleans_gateway_port + i)) \
      "--Management:SiloUrl=http://127.0.0.1:$((silo_management_port + i))"
  done
  for i in 1 2 3; do wait_port $((orleans_gateway_port + i)) "silo$i"; done
  # Every gateway seals page tokens and checks bearer tokens with the same keys, made once per cluster folder, so
  # any gateway reads another's page tokens and `token` (below) mints tokens all of them accept. Auth__SigningKey
  # in the environment, when set, is used instead.
  [ -s "$dir/page-token.key" ] || (umask 077; head -c 32 /dev/urandom | base64 >"$dir/page-token.key")
  [ -s "$dir/token-signing.key" ] || (umask 077; head -c 32 /dev/urandom | base64 >"$dir/token-signing.key")
  local signing=${Auth__SigningKey:-$(cat "$dir/token-signing.key")}
  for i in 1 2; do
    # In the environment, not the arguments: a process list shows arguments to every user.
    Secrets__PageTokenKey="$(cat "$dir/page-token.key")" Auth__SigningKey="$signing" start_one "gateway$i" \
      "$bin/CareCoordination.Gateway.dll" "${common[@]}" --Orleans:Mode=Client \
      "--Kestrel:Endpoints:Grpc:Url=http://127.0.0.1:$((grpc_port + i))" \
      "--Management:Url=http://127.0.0.1:$((management_port + i))" \
      "--Dashboard:Url=http://127.0.0.1:$((dashboard_port + i))"
  done
  for i in 1 2; do wait_port $((grpc_port + i)) "gateway$i"; done
  status
}

stop_pid() { # name [signal, TERM by default]
  local f="$dir/pids/$1.pid"
  [ -f "$f" ] || return 0
  local pid; pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "-${2:-TERM}" "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

stop_services() { for n in gateway1 gateway2 silo1 silo2 silo3; do stop_pid "$n"; done; }

status() {
  for n in silo1 silo2 silo3 gateway1 gateway2; do
    if running "$n"; then echo "$n running (pid $(cat "$dir/pids/$n.pid"))"; else echo "$n stopped"; fi
  done
  echo "gRPC: http://127.0.0.1:$((grpc_port + 1)) http://127.0.0.1:$((grpc_port + 2)); logs in $dir/logs"
  echo "health and metrics: gateways http://127.0.0.1:$((management_port + 1)) :$((management_port + 2)), silos :$((silo_management_port + 1))-$((silo_management_port + 3))"
  [ "${CC_DASHBOARD:-0}" = 1 ] && echo "dashboard: http://127.0.0.1:$((dashboard_port + 1))/dashboard/" || true
}

case "${1:-}" in
  start) build; storage_start
         [ "$storage" = azure ] || dotnet "$bin/CareCoordination.Silo.dll" migrate "${common[@]}"
         start_services ;;
  stop) stop_services; storage_stop ;;
  status) status ;;
  stop-services) stop_services ;;
  start-services) start_services ;;
  kill-silo) pid=$(cat "$dir/pids/silo${2:?silo number}.pid"); kill -KILL "$pid"; rm -f "$dir/pids/silo$2.pid"; echo "killed silo$2 (pid $pid)" ;;
  storage-stop|pg-stop) storage_stop ;;
  storage-start|pg-start) storage_start ;;
  destroy) stop_services; storage_stop; rm -rf "$dir" ;;
  token) shift; Auth__SigningKey=${Auth__SigningKey:-$(cat "$dir/token-signing.key")} \
           dotnet "$bin/CareCoordination.Gateway.dll" token "$@" ;;
  *) sed -n '2,23p' "$0"; exit 2 ;;
esac
