# SPDX-License-Identifier: Apache-2.0
# tests/integration/aws-lib.sh - helpers for the aws-* tests and bench/eip-failover.
# Sourced after tests/lab/lib.sh (not a test itself: the runner skips names with a dot).
#
#   aws_lab r1 r2                  # two switches, the routers, the fake EC2 + IMDS
#   aws_conf "$LAB_DIR/r.conf"     # election + aws + one EIP VIP (r1 200, r2 100)
#   aws_start r1 d1 "$LAB_DIR/r.conf"
#   aws_wait_assoc 10 r1           # the EIP is associated with r1's ENI / private IP
#
# Topology.  Switch "sw" (192.0.2.0/24) carries the adverts: rN has 192.0.2.1N on eth0
# (router.interface; its MAC is how the IMDS finds the router's ENI).  Switch "cloud"
# (198.51.100.0/24) reaches the fake endpoint: rN has 198.51.100.1N on eth1, host "aws"
# 198.51.100.100 runs tests/fake-ec2/fake_ec2.py: EC2 on https://198.51.100.100 (a test
# CA made here by tests/backend/mkcerts.sh), IMDS on http://198.51.100.100:1338, admin
# on 127.0.0.1:9000 inside "aws".  el_partition rN sw cuts the adverts only.
#
# Router rN in the fake: instance i-<N as 17 digits>, ENI eni-<N as 17 digits> in its own
# subnet and AZ (eu-west-1a, b, c), private IPs 10.0.N.10 (primary) and 10.0.N.50 (the
# EIP's target, eip.private_ip), role ipvsr-router; AWS_ONE_SUBNET=1 puts every ENI in
# subnet-01 (where private IPs can move).  The Elastic IP: $AWS_ALLOC, public $AWS_EIP,
# unassociated at start.  AWS_SECURITY_GROUPS (JSON: {"sg-..": [rules]}, see fake_ec2.py)
# gives every ENI those groups.

AWS_BIN=$top_builddir/ipvs-router
AWS_PY=/usr/bin/python3
AWS_FAKE=$top_srcdir/tests/fake-ec2/fake_ec2.py
AWS_EP=198.51.100.100
AWS_ALLOC=eipalloc-0a1b2c3d4e5f60001
AWS_EIP=203.0.113.10
AWS_ROUTERS=()

aws_need() {
    [[ -x $AWS_BIN ]] || lab_fail "$AWS_BIN is not built (make)"
    lab_need curl openssl bridge
    "$AWS_PY" -c 'import botocore.auth' 2>/dev/null || lab_skip "needs python3-botocore (Debian's /usr/bin/python3)"
}

aws_eni() { printf 'eni-%017d' "${1#r}"; }
aws_instance() { printf 'i-%017d' "${1#r}"; }

# aws_lab ROUTER...: build the two switches, the routers, certificates, the fixture,
# and start the fake (log: $LAB_DIR/fake.log).
aws_lab() {
    local r n mac json='' sep='' azs=(x a b c d e f) groups
    AWS_ROUTERS=("$@")
    groups=$("$AWS_PY" -c 'import json,sys; print(json.dumps(list(json.loads(sys.argv[1]))))' "${AWS_SECURITY_GROUPS:-{\}}")
    lab_switch sw
    lab_switch cloud
    lab_host aws; lab_link aws cloud $AWS_EP/24
    for r; do
        n=${r#r}
        lab_host "$r"
        lab_link "$r" sw "192.0.2.1$n/24"
        lab_link "$r" cloud "198.51.100.1$n/24"
        mac=$(lab_exec "$r" cat /sys/class/net/eth0/address)
        json+="$sep\"198.51.100.1$n\": {\"instance_id\": \"$(aws_instance "$r")\", \"az\": \"eu-west-1${azs[n]}\","
        json+=" \"role\": \"ipvsr-router\", \"interfaces\": [{\"mac\": \"$mac\", \"eni\": \"$(aws_eni "$r")\","
        json+=" \"subnet\": \"subnet-0$( [[ -n ${AWS_ONE_SUBNET:-} ]] && echo 1 || echo "$n")\","
        json+=" \"private_ips\": [\"10.0.$n.10\", \"10.0.$n.50\"], \"device\": 0, \"groups\": $groups}]}"
        sep=', '
    done
    cat >"$LAB_DIR/fixture.json" <<EOF
{"region": "eu-west-1",
 "instances": {$json},
 "addresses": [{"allocation_id": "$AWS_ALLOC", "public_ip": "$AWS_EIP"}],
 "security_groups": ${AWS_SECURITY_GROUPS:-{\}},
 "static_keys": {"AKIDSTATICEXAMPLE": "static/secret+key"}}
EOF
    "$top_srcdir/tests/backend/mkcerts.sh" "$LAB_DIR/certs" ec2.fake.test $AWS_EP >/dev/null
    lab_start aws fake "$AWS_PY" -B "$AWS_FAKE" --fixture "$LAB_DIR/fixture.json" \
        --ec2 $AWS_EP:443 --cert "$LAB_DIR/certs/good.crt" --key "$LAB_DIR/certs/key.pem" \
        --imds $AWS_EP:1338 --admin 127.0.0.1:9000
    wait_until 10 "the fake EC2 endpoint" aws_admin GET /_fake/state
}

# aws_conf FILE: the routers' configuration (the same file for all; -n picks the name).
# AWS_EXTRA (aws lines), AWS_ELECTION (election lines), AWS_VIP (lines in the VIP) are
# pasted in; AWS_PRIOS ("r1 = 200; r2 = 100;" by default) are the VIP's priorities,
# AWS_VERIFY_MS and AWS_TIMEOUT_MS (1000 each) aws.verify_interval_ms / api_timeout_ms.
aws_conf() {
    local file=${1:?} r n peers='' privs='' sep=''
    for r in "${AWS_ROUTERS[@]}"; do
        n=${r#r}
        peers+="$sep{ name = \"$r\"; address = \"192.0.2.1$n\"; }"
        privs+="$r = \"10.0.$n.50\"; "
        sep=', '
    done
    cat >"$file" <<EOF
router = { interface = "eth0"; };
aws = {
    ca_file = "$LAB_DIR/certs/ca.crt";
    verify_interval_ms = ${AWS_VERIFY_MS:-1000};
    api_timeout_ms = ${AWS_TIMEOUT_MS:-1000};
    disable_source_dest_check = true;
    ${AWS_EXTRA:-}
};
election = { advert_interval_ms = 100; ${AWS_ELECTION:-} peers = ( $peers ); };
vips = ( {
    name = "web"; address = "$AWS_EIP"; manage_address = false; vrid = 1;
    priority = { ${AWS_PRIOS:-r1 = 200; r2 = 100;} };
    eip = { allocation_id = "$AWS_ALLOC"; private_ip = { $privs}; };
    ${AWS_VIP:-}
    services = ( { port = 443; pool = "web"; } );
} );
pools = ( { name = "web"; check = { type = "none"; }; servers = ( { address = "10.0.11.21"; } ); } );
EOF
    "$AWS_BIN" -t --config-only -f "$file" -n "${AWS_ROUTERS[0]}" >/dev/null ||
        { cat "$file" >&2; "$AWS_BIN" -t --config-only -f "$file" -n "${AWS_ROUTERS[0]}" >&2; lab_fail "aws_conf: $file is invalid"; }
}

# aws_start HOST NAME CONF [ARGS...]: the daemon as router HOST, pointed at the fake by
# the environment (AWS_ENDPOINT_URL_EC2, AWS_EC2_METADATA_SERVICE_ENDPOINT).
aws_start() {
    local host=${1:?} name=${2:?} conf=${3:?}; shift 3
    lab_start "$host" "$name" env AWS_ENDPOINT_URL_EC2=https://$AWS_EP \
        AWS_EC2_METADATA_SERVICE_ENDPOINT=http://$AWS_EP:1338 \
        "$AWS_BIN" -F -l -n "$host" -f "$conf" -p '' "$@"
}

# aws_admin GET|POST PATH [JSON]: one admin request to the fake; prints the answer.
aws_admin() {
    local m=${1:?} path=${2:?}
    if [[ $m == GET ]]; then
        lab_exec aws curl -sS -f -m 5 "http://127.0.0.1:9000$path"
    else
        lab_exec aws curl -sS -f -m 5 -X POST -H 'Content-Type: application/json' \
            --data "${3:-{\}}" "http://127.0.0.1:9000$path"
    fi
}

# aws_q PATH PYTHON: fetch PATH (JSON) and print what PYTHON (an expression over `d`) gives.
aws_q() {
    local json
    json=$(aws_admin GET "${1:?}") || return 1
    "$AWS_PY" -c "import json,sys; d=json.loads(sys.stdin.read()); r=(${2:?}); print(r if r is not None else '')" <<<"$json"
}

# aws_assoc: "ENI IP" of the EIP's association, or "none".
aws_assoc() {
    aws_q /_fake/state "(lambda a: a['eni'] + ' ' + a['ip'] if a else 'none')(d['addresses']['$AWS_ALLOC']['association'])"
}

# aws_is_on ROUTER|none: the EIP is associated with ROUTER's ENI and its 10.0.N.50.
aws_is_on() {
    local want got
    if [[ ${1:?} == none ]]; then want=none; else want="$(aws_eni "$1") 10.0.${1#r}.50"; fi
    got=$(aws_assoc) || return 1
    [[ $got == "$want" ]] || { echo "association: $got, want $want"; return 1; }
}

# aws_wait_assoc SECS ROUTER
aws_wait_assoc() { wait_until "${1:?}" "the EIP on ${2:?}" aws_is_on "$2"; }

# aws_calls ROUTER ACTION [SINCE]: how many real (not DryRun) ACTION requests ROUTER made
# (since epoch time SINCE).
aws_calls() {
    aws_q /_fake/requests "sum(1 for r in d if r['client'] == '198.51.100.1${1#r}' and r['action'] == '${2:?}' and 'DryRun' not in r['params'] and r['t'] >= ${3:-0})"
}

# aws_bad_signatures: requests the fake refused for their signature or credentials.
aws_bad_signatures() {
    aws_q /_fake/requests "sum(1 for r in d if r['code'] in ('SignatureDoesNotMatch', 'IncompleteSignature', 'MissingAuthenticationToken'))"
}

# aws_no_secrets NAME...: no minted secret key or token appears in those daemons' logs.
aws_no_secrets() {
    local secrets name s
    secrets=$(aws_q /_fake/secrets "'\\n'.join(x for p in d for x in p)") || lab_fail "no secrets list"
    [[ -n $secrets ]] || lab_fail "the fake minted no credentials"
    for name; do
        while IFS= read -r s; do
            [[ -n $s ]] || continue
            ! grep -qF -- "$s" "$LAB_DIR/$name.log" || lab_fail "$name.log holds a secret key or token"
        done <<<"$secrets"
    done
}

# aws_now: wall clock, seconds with decimals (the fake's request times are epoch floats).
aws_now() { local t=$EPOCHREALTIME; echo "$t"; }
