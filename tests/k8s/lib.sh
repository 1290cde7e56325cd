# SPDX-License-Identifier: Apache-2.0
# tests/k8s/lib.sh - the fake Kubernetes API server in lab tests (bash), sourced after
# tests/lab/lib.sh.
# shellcheck shell=bash
#
#   k8s_fake_start NAME [ARGS...]   test certificates (CA, server cert for 127.0.0.1),
#                                   token K8S_TOKEN; tests/k8s/fake-apiserver started
#                                   as lab daemon NAME with ARGS (objects files, ...);
#                                   sets K8S_API_PORT, K8S_CTL_PORT, K8S_CA, and opens
#                                   the control connection (fd K8S_FD, through /dev/tcp:
#                                   no process per command)
#   k8s_ctl CMD...                  one control command; its JSON answer in K8S_REPLY;
#                                   fails the test unless it says "ok": true
#   k8s_kubeconfig FILE [TOKEN]     a kubeconfig for the fake (default K8S_TOKEN)
#   k8s_stats FILTER                jq FILTER applied to the answer of "stats"
# The fake's own description: tests/k8s/fake-apiserver --help.

K8S_FAKE=$top_srcdir/tests/k8s/fake-apiserver
K8S_CONTROLLER=$top_srcdir/contrib/k8s-endpoints/ipvsr-k8s-endpoints
K8S_TOKEN=fake-token-$RANDOM$RANDOM
K8S_API_PORT='' K8S_CTL_PORT='' K8S_CA='' K8S_FD='' K8S_REPLY=''

k8s_fake_start() {
    local name=${1:?k8s_fake_start NAME [ARGS...]} i; shift
    "$top_srcdir/tests/backend/mkcerts.sh" "$LAB_DIR/k8s-certs" kube.test 127.0.0.1 >/dev/null
    K8S_CA=$LAB_DIR/k8s-certs/ca.crt
    rm -f "$LAB_DIR/$name.ports"
    lab_start - "$name" /usr/bin/python3 "$K8S_FAKE" --cert "$LAB_DIR/k8s-certs/good.crt" \
        --key "$LAB_DIR/k8s-certs/key.pem" --token "$K8S_TOKEN" --ports-file "$LAB_DIR/$name.ports" "$@"
    for ((i = 0; i < 300; i++)); do
        [[ -s $LAB_DIR/$name.ports ]] && break
        lab_running "$name" || lab_fail "the fake API server died: $(tail -n 5 "$LAB_DIR/$name.log")"
        sleep 0.1
    done
    [[ -s $LAB_DIR/$name.ports ]] || lab_fail "the fake API server did not listen within 30 s"
    K8S_API_PORT=$(awk '$1 == "api" { print $2 }' "$LAB_DIR/$name.ports")
    K8S_CTL_PORT=$(awk '$1 == "control" { print $2 }' "$LAB_DIR/$name.ports")
    exec {K8S_FD}<>"/dev/tcp/127.0.0.1/$K8S_CTL_PORT"
}

k8s_ctl() {
    K8S_REPLY=''
    echo "$*" >&"$K8S_FD"
    read -r -t 60 K8S_REPLY <&"$K8S_FD" || lab_fail "fake API server: no answer to '$*'"
    [[ $K8S_REPLY == *'"ok": true'* ]] || lab_fail "fake API server: '$*' -> $K8S_REPLY"
}

k8s_stats() {
    k8s_ctl stats
    jq -r "${1:?k8s_stats FILTER}" <<<"$K8S_REPLY"
}

k8s_kubeconfig() {
    cat >"${1:?k8s_kubeconfig FILE [TOKEN]}" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: fake
  cluster:
    server: https://127.0.0.1:$K8S_API_PORT
    certificate-authority: $K8S_CA
users:
- name: tester
  user:
    token: ${2:-$K8S_TOKEN}
contexts:
- name: fake
  context: {cluster: fake, user: tester}
current-context: fake
EOF
}
