#!/usr/bin/env bash
# Throw-away Kubernetes control plane on 127.0.0.1 only (etcd + kube-apiserver
# [+ kube-controller-manager for namespace finalization / GC / SA tokens]).
#
#   scripts/engine/control-plane.sh start  <dir>   # writes <dir>/kubeconfig, waits for /readyz
#   scripts/engine/control-plane.sh status <dir>
#   scripts/engine/control-plane.sh stop   <dir>   # kills what start started (by recorded PID)
#
# Ports (override via env): BL_ETCD_CLIENT_PORT=23790 BL_ETCD_PEER_PORT=23800
#   BL_APISERVER_PORT=26443. kube-controller-manager serves nothing (--secure-port=0).
# Set BL_CONTROLLER_MANAGER=0 to skip kube-controller-manager.
# Binaries come from the cache filled by tools.sh (env.sh puts them on PATH);
# etcd is Debian's /usr/bin/etcd (apt-get install etcd-server) or the cached build.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=env.sh
source "$HERE/env.sh"

ETCD_CLIENT_PORT="${BL_ETCD_CLIENT_PORT:-23790}"
ETCD_PEER_PORT="${BL_ETCD_PEER_PORT:-23800}"
APISERVER_PORT="${BL_APISERVER_PORT:-26443}"
WITH_KCM="${BL_CONTROLLER_MANAGER:-1}"
READY_TIMEOUT="${BL_READY_TIMEOUT:-120}"

log() { printf '[control-plane %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() { echo "usage: $0 start|stop|status <dir>" >&2; exit 2; }
[[ $# -eq 2 ]] || usage
CMD="$1"
mkdir -p "$2"
DIR="$(cd "$2" && pwd)"
PKI="$DIR/pki"
PIDS="$DIR/pids"
LOGS="$DIR/logs"

need() { command -v "$1" >/dev/null 2>&1 || die "$1 not found on PATH (run scripts/engine/tools.sh${2:+; $2})"; }

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

gen_pki() {
  [[ -f "$PKI/admin.token" ]] && return 0
  mkdir -p "$PKI" && chmod 700 "$PKI"
  (
    cd "$PKI"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 \
      -subj "/CN=blacklake-test-ca" 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr \
      -subj "/CN=kube-apiserver" 2>/dev/null
    cat >apiserver.ext <<'EOF'
basicConstraints=CA:FALSE
keyUsage=digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local
EOF
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
      -out apiserver.crt -days 3650 -extfile apiserver.ext 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    openssl rand -hex 24 >admin.token
    openssl rand -hex 24 >kcm.token
    # token,user,uid,"groups"
    {
      echo "$(cat admin.token),admin,admin,\"system:masters\""
      echo "$(cat kcm.token),system:kube-controller-manager,kcm,\"system:masters\""
    } >tokens.csv
    chmod 600 ./*.key ./*.token tokens.csv
  )
}

write_kubeconfig() { # <file> <user> <token>
  local ca; ca="$(base64 -w0 <"$PKI/ca.crt")"
  umask 077
  cat >"$1" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: blacklake-local
  cluster:
    server: https://127.0.0.1:${APISERVER_PORT}
    certificate-authority-data: ${ca}
users:
- name: $2
  user:
    token: $3
contexts:
- name: blacklake-local
  context:
    cluster: blacklake-local
    user: $2
current-context: blacklake-local
EOF
}

pid_alive() { [[ -f "$PIDS/$1.pid" ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

launch() { # <name> <cmd...>
  local name="$1"; shift
  if pid_alive "$name"; then log "$name already running (pid $(cat "$PIDS/$name.pid"))"; return 0; fi
  setsid "$@" >"$LOGS/$name.log" 2>&1 </dev/null &
  echo $! >"$PIDS/$name.pid"
  log "$name started (pid $!, log $LOGS/$name.log)"
}

readyz() {
  curl -sf --max-time 5 --cacert "$PKI/ca.crt" -H "Authorization: Bearer $(cat "$PKI/admin.token")" \
    "https://127.0.0.1:${APISERVER_PORT}/readyz" >/dev/null 2>&1
}

etcd_bin() {
  if command -v etcd >/dev/null 2>&1; then command -v etcd; return; fi
  [[ -x /usr/bin/etcd ]] && { echo /usr/bin/etcd; return; }
  die "etcd not found (apt-get install etcd-server, or scripts/engine/tools.sh etcd with BL_ETCD_FROM_SOURCE=1)"
}

start() {
  need kube-apiserver
  [[ "$WITH_KCM" == 1 ]] && need kube-controller-manager
  mkdir -p "$PIDS" "$LOGS" "$DIR/etcd"
  gen_pki
  local etcd; etcd="$(etcd_bin)"
  if ! pid_alive etcd; then
    for p in "$ETCD_CLIENT_PORT" "$ETCD_PEER_PORT" "$APISERVER_PORT"; do
      port_in_use "$p" && die "port 127.0.0.1:$p is already in use (set BL_ETCD_CLIENT_PORT/BL_ETCD_PEER_PORT/BL_APISERVER_PORT)"
    done
  fi
  launch etcd "$etcd" --name blacklake --data-dir "$DIR/etcd" \
    --listen-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORT}" \
    --advertise-client-urls "http://127.0.0.1:${ETCD_CLIENT_PORT}" \
    --listen-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-advertise-peer-urls "http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-cluster "blacklake=http://127.0.0.1:${ETCD_PEER_PORT}" \
    --initial-cluster-state new --log-level warn
  local i
  for ((i = 0; i < 60; i++)); do
    curl -sf --max-time 2 "http://127.0.0.1:${ETCD_CLIENT_PORT}/health" >/dev/null 2>&1 && break
    pid_alive etcd || { tail -n 20 "$LOGS/etcd.log" >&2; die "etcd exited"; }
    sleep 0.5
  done
  launch kube-apiserver kube-apiserver \
    --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="${APISERVER_PORT}" \
    --etcd-servers="http://127.0.0.1:${ETCD_CLIENT_PORT}" \
    --cert-dir="$DIR/apiserver-certs" \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --service-account-issuer="https://127.0.0.1:${APISERVER_PORT}" \
    --service-account-key-file="$PKI/sa.pub" \
    --service-account-signing-key-file="$PKI/sa.key" \
    --token-auth-file="$PKI/tokens.csv" \
    --authorization-mode=RBAC \
    --service-cluster-ip-range=10.96.0.0/16 \
    --endpoint-reconciler-type=none \
    --profiling=false \
    --anonymous-auth=false \
    --v="${BL_APISERVER_V:-1}"
  local t0=$SECONDS
  until readyz; do
    pid_alive kube-apiserver || { tail -n 30 "$LOGS/kube-apiserver.log" >&2; die "kube-apiserver exited"; }
    ((SECONDS - t0 < READY_TIMEOUT)) || { tail -n 30 "$LOGS/kube-apiserver.log" >&2; die "kube-apiserver not ready after ${READY_TIMEOUT}s"; }
    sleep 1
  done
  log "kube-apiserver ready after $((SECONDS - t0))s"
  write_kubeconfig "$DIR/kubeconfig" admin "$(cat "$PKI/admin.token")"
  if [[ "$WITH_KCM" == 1 ]]; then
    write_kubeconfig "$DIR/kcm.kubeconfig" system:kube-controller-manager "$(cat "$PKI/kcm.token")"
    launch kube-controller-manager kube-controller-manager \
      --kubeconfig="$DIR/kcm.kubeconfig" \
      --secure-port=0 \
      --leader-elect=false \
      --controllers="${BL_KCM_CONTROLLERS:-namespace,garbagecollector,serviceaccount,serviceaccount-token}" \
      --service-account-private-key-file="$PKI/sa.key" \
      --root-ca-file="$PKI/ca.crt" \
      --use-service-account-credentials=false \
      --v="${BL_KCM_V:-1}"
    sleep 1
    pid_alive kube-controller-manager || { tail -n 30 "$LOGS/kube-controller-manager.log" >&2; die "kube-controller-manager exited"; }
  fi
  echo "$DIR/kubeconfig"
}

stop() {
  local n pid i
  for n in kube-controller-manager kube-apiserver etcd; do
    [[ -f "$PIDS/$n.pid" ]] || continue
    pid="$(cat "$PIDS/$n.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
      log "$n (pid $pid) stopped"
    fi
    rm -f "$PIDS/$n.pid"
  done
}

status() {
  local n rc=0
  for n in etcd kube-apiserver kube-controller-manager; do
    if pid_alive "$n"; then echo "$n: running (pid $(cat "$PIDS/$n.pid"))"
    elif [[ $n == kube-controller-manager && "$WITH_KCM" != 1 ]]; then echo "$n: disabled"
    else echo "$n: not running"; rc=1; fi
  done
  if [[ -f "$PKI/admin.token" ]] && readyz; then echo "readyz: ok (https://127.0.0.1:${APISERVER_PORT})"; else echo "readyz: not ready"; rc=1; fi
  [[ -f "$DIR/kubeconfig" ]] && echo "kubeconfig: $DIR/kubeconfig"
  return $rc
}

case "$CMD" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) usage ;;
esac
