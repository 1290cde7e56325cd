#!/usr/bin/python3

# SPDX-License-Identifier: Apache-2.0
"""fake_ec2 - a small EC2 Query API + IMDSv2 endpoint for ipvs-router's tests.

  fake_ec2.py --fixture F.json --ec2 ADDR:PORT --cert C --key K --imds ADDR:PORT
              --admin ADDR:PORT [--log FILE]

EC2 (HTTPS): POST / with a form body.  Every request's SigV4 signature is checked by
sigv4check (botocore), independently of the daemon's signer; then the call runs on a
state model: instances, ENIs (subnet, private IPs, source/dest check) and Elastic IPs
with their associations.  Actions: AssociateAddress, DescribeAddresses,
AssignPrivateIpAddresses, DescribeNetworkInterfaces, ModifyNetworkInterfaceAttribute,
DescribeSecurityGroups (ingress rules only);
DryRun=true answers DryRunOperation (412) or UnauthorizedOperation (403).

IMDSv2 (HTTP): PUT /latest/api/token (TTL 1..21600, X-Forwarded-For refused), then
GET /latest/meta-data/... with the token; the instance is the one whose fixture entry
is keyed by the client's source address.  Role credentials are minted here, expire
after creds_ttl_s and rotate when they do.

Admin (HTTP, JSON):
  GET  /_fake/state       addresses, ENIs, association history (epoch times)
  GET  /_fake/requests    every EC2 request: time, client, action, params, status, code
  GET  /_fake/secrets     the secret keys and tokens minted (to check the logs for leaks)
  POST /_fake/faults      {"rules": [{"action": "AssociateAddress"|"*", "kind": K,
                           "count": N, "seconds": S}], "latency_ms": L,
                           "clock_offset_s": O, "stale_s": S, "creds_ttl_s": T,
                           "deny": ["AssociateAddress", ...], "imds_put_hang": bool,
                           "imds_hop_limit": N}
                          kinds: throttle (503 RequestLimitExceeded), error500 (500
                          InternalError), unavailable (503 Unavailable), html502 (a
                          proxy's page), hang (no answer for S seconds, then close),
                          reset (close at once), slow (answer after S seconds),
                          hold (wait until POST /_fake/release {"name": N} names the
                          rule's "name", or S seconds (60) pass, then carry the request
                          out: a call on the wire that lands when the test says),
                          error (an EC2 error: "status", "code", "message"; with
                          "date": false no Date header, e.g. a RequestExpired
                          whose clock cannot be learnt); imds_hop_limit N sends the
                          token PUT's answer with IP TTL N (EC2's PUT response hop limit)
  POST /_fake/release     {"name": N}: the requests held by hold rule N go on
  POST /_fake/reset       faults off, request log kept
  POST /_fake/expire_creds  every minted credential expires now (the IMDS mints new)
  POST /_fake/associate   {"allocation_id", "eni", "private_ip"}: someone else moves it
  POST /_fake/security_groups  {"sg-...": [{"proto": "112", "cidrs": [...], "groups": [...]}]}:
                          the groups' ingress rules (the fixture's "security_groups"; an
                          interface lists its groups in "groups")

Faults count down per matching request; rules are tried in order; a rule with "skip": K
lets its first K matching requests through.  A rule matches real
calls only, or with "dry_run": true DryRun calls only; "client": ADDR limits a rule to
the requests from ADDR.
"""
import argparse
import json
import os
import secrets
import socket
import ssl
import sys
import threading
import time
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import sigv4check

NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
ACTIONS = {"AssociateAddress", "DescribeAddresses", "AssignPrivateIpAddresses",
           "DescribeNetworkInterfaces", "ModifyNetworkInterfaceAttribute", "DescribeSecurityGroups"}
LOCK = threading.RLock()


def xml_escape(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(code)
        self.status, self.code, self.message = status, code, message


class State:
    def __init__(self, fixture):
        self.region = fixture["region"]
        self.instances = {}     # client ip -> instance dict
        self.enis = {}          # eni id -> {subnet, ips (list, primary first), instance, sdc, mac}
        for client, inst in fixture["instances"].items():
            self.instances[client] = inst
            for itf in inst["interfaces"]:
                self.enis[itf["eni"]] = {"subnet": itf["subnet"], "ips": list(itf["private_ips"]),
                                         "instance": inst["instance_id"], "sdc": True,
                                         "mac": itf["mac"].lower(),
                                         "groups": list(itf.get("groups", []))}
        # group id -> ingress rules [{"proto": "112"|"-1"|"tcp", "cidrs": [...], "groups": [...]}]
        self.security_groups = dict(fixture.get("security_groups", {}))
        self.addresses = {}
        for a in fixture["addresses"]:
            self.addresses[a["allocation_id"]] = {"public_ip": a["public_ip"], "assoc": None,
                                                  "prev": None, "changed": 0.0}
        self.history = []       # (time, allocation, eni, ip, client)
        self.requests = []
        self.keys = {}          # akid -> sigv4check.Key
        for akid, secret in fixture.get("static_keys", {}).items():
            self.keys[akid] = sigv4check.Key(akid, secret)
        self.creds = {}         # client ip -> akid of its current role credentials
        self.tokens = {}        # IMDS token -> (client ip, expiry)
        self.rules = []
        self.holds = {}         # hold rule name -> threading.Event (set: released)
        self.latency_ms = 0
        self.clock_offset_s = 0
        self.stale_s = 0
        self.creds_ttl_s = 6 * 3600
        self.deny = set(fixture.get("deny", []))
        self.imds_put_hang = False
        self.imds_hop_limit = 0     # >0: the token PUT's answer leaves with this IP TTL

    def now(self):
        return time.time() + self.clock_offset_s

    def fault_for(self, action, dry, client):
        for r in self.rules:
            if (r.get("count", 1) > 0 and r.get("action", "*") in ("*", action) and
                    r.get("dry_run", False) == dry and r.get("client", client) == client):
                if r.get("skip", 0) > 0:
                    r["skip"] -= 1
                    continue
                r["count"] = r.get("count", 1) - 1
                return r
        return None

    def mint(self, client):
        akid = self.creds.get(client)
        k = self.keys.get(akid) if akid else None
        if k is None or k.expires <= time.time() + 60:
            akid = "ASIA" + secrets.token_hex(8).upper()
            k = sigv4check.Key(akid, secrets.token_urlsafe(30), token=secrets.token_urlsafe(90),
                               expires=time.time() + self.creds_ttl_s, owner=client)
            self.keys[akid] = k
            self.creds[client] = akid
        return k

    def eni_of_ip(self, ip):
        for eid, e in self.enis.items():
            if ip in e["ips"]:
                return eid
        return None

    def visible_assoc(self, alloc):
        a = self.addresses[alloc]
        if self.stale_s and time.time() - a["changed"] < self.stale_s:
            return a["prev"]
        return a["assoc"]


STATE = None
ARGS = None


def log(msg):
    print(f"{time.strftime('%H:%M:%S')} fake-ec2: {msg}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------- EC2 actions

def one(params, name, required=True):
    v = params.get(name)
    if v is None:
        if required:
            raise ApiError(400, "MissingParameter", f"The request must contain the parameter {name}")
        return None
    if len(v) != 1:
        raise ApiError(400, "InvalidParameterValue", f"{name} given more than once")
    return v[0]


def numbered(params, prefix):
    out, i = [], 1
    while f"{prefix}.{i}" in params:
        out.append(params[f"{prefix}.{i}"][0])
        i += 1
    return out


def boolean(v, default):
    if v is None:
        return default
    if v not in ("true", "false"):
        raise ApiError(400, "InvalidParameterValue", f"Invalid boolean {v}")
    return v == "true"


def need_eni(eni):
    if eni not in STATE.enis:
        raise ApiError(400, "InvalidNetworkInterfaceID.NotFound",
                       f"The networkInterface ID '{eni}' does not exist")
    return STATE.enis[eni]


def act_associate(p, client):
    alloc = one(p, "AllocationId")
    if alloc not in STATE.addresses:
        raise ApiError(400, "InvalidAllocationID.NotFound", f"The allocation ID '{alloc}' does not exist")
    eni, inst = one(p, "NetworkInterfaceId", False), one(p, "InstanceId", False)
    if (eni is None) == (inst is None):
        raise ApiError(400, "InvalidParameterCombination",
                       "Give exactly one of InstanceId and NetworkInterfaceId")
    if inst is not None:
        owned = [e for e, d in STATE.enis.items() if d["instance"] == inst]
        if not owned:
            raise ApiError(400, "InvalidInstanceID.NotFound", f"The instance ID '{inst}' does not exist")
        if len(owned) > 1:
            raise ApiError(400, "InvalidInstanceID", "There are multiple interfaces attached to instance "
                           f"'{inst}'. Please specify an interface ID for the operation instead.")
        eni = owned[0]
    e = need_eni(eni)
    ip = one(p, "PrivateIpAddress", False) or e["ips"][0]
    if ip not in e["ips"]:
        raise ApiError(400, "InvalidParameterValue",
                       f"The private IP address {ip} is not assigned to {eni}")
    a = STATE.addresses[alloc]
    allow = boolean(one(p, "AllowReassociation", False), True)
    cur = a["assoc"]
    if cur and (cur["eni"], cur["ip"]) != (eni, ip) and not allow:
        raise ApiError(400, "Resource.AlreadyAssociated", f"resource {alloc} is already associated")
    if cur and (cur["eni"], cur["ip"]) == (eni, ip):
        return f"<return>true</return><associationId>{cur['id']}</associationId>"
    a["prev"] = cur
    a["assoc"] = {"id": "eipassoc-" + secrets.token_hex(8), "eni": eni, "ip": ip,
                  "instance": e["instance"]}
    a["changed"] = time.time()
    STATE.history.append({"t": a["changed"], "allocation_id": alloc, "eni": eni, "ip": ip,
                          "client": client})
    log(f"{alloc} -> {eni} / {ip} (asked by {client})")
    return f"<return>true</return><associationId>{a['assoc']['id']}</associationId>"


def act_describe_addresses(p, client):
    allocs = numbered(p, "AllocationId") or list(STATE.addresses)
    for al in allocs:
        if al not in STATE.addresses:
            raise ApiError(400, "InvalidAllocationID.NotFound", f"The allocation ID '{al}' does not exist")
    items = []
    for al in allocs:
        a = STATE.addresses[al]
        s = STATE.visible_assoc(al)
        x = f"<item><publicIp>{a['public_ip']}</publicIp><allocationId>{al}</allocationId><domain>vpc</domain>"
        if s:
            x += (f"<instanceId>{s['instance']}</instanceId><associationId>{s['id']}</associationId>"
                  f"<networkInterfaceId>{s['eni']}</networkInterfaceId>"
                  "<networkInterfaceOwnerId>123456789012</networkInterfaceOwnerId>"
                  f"<privateIpAddress>{s['ip']}</privateIpAddress>")
        x += f"<networkBorderGroup>{STATE.region}</networkBorderGroup></item>"
        items.append(x)
    return "<addressesSet>" + "".join(items) + "</addressesSet>"


def act_assign(p, client):
    eni = one(p, "NetworkInterfaceId")
    e = need_eni(eni)
    ips = numbered(p, "PrivateIpAddress")
    if not ips:
        raise ApiError(400, "MissingParameter", "PrivateIpAddress.N is required here")
    allow = boolean(one(p, "AllowReassignment", False), False)
    for ip in ips:
        holder = STATE.eni_of_ip(ip)
        if holder == eni:
            continue
        if holder is not None:
            if STATE.enis[holder]["subnet"] != e["subnet"]:
                raise ApiError(400, "InvalidParameterValue",
                               f"Address {ip} does not fall within the subnet's address range")
            if not allow:
                raise ApiError(400, "InvalidParameterValue", f"Address {ip} is in use.")
            if STATE.enis[holder]["ips"][0] == ip:
                raise ApiError(400, "InvalidParameterValue", f"{ip} is a primary address")
            STATE.enis[holder]["ips"].remove(ip)
        e["ips"].append(ip)
        STATE.history.append({"t": time.time(), "private_ip": ip, "eni": eni, "client": client})
        log(f"private ip {ip} -> {eni} (asked by {client})")
    sets = "".join(f"<item><privateIpAddress>{ip}</privateIpAddress></item>" for ip in ips)
    return (f"<networkInterfaceId>{eni}</networkInterfaceId>"
            f"<assignedPrivateIpAddressesSet>{sets}</assignedPrivateIpAddressesSet><return>true</return>")


def act_describe_enis(p, client):
    ids = numbered(p, "NetworkInterfaceId")
    want_ip = None
    i = 1
    while f"Filter.{i}.Name" in p:
        name = p[f"Filter.{i}.Name"][0]
        vals = numbered(p, f"Filter.{i}.Value")
        if name == "addresses.private-ip-address":
            want_ip = set(vals)
        else:
            raise ApiError(400, "InvalidParameterValue", f"The filter '{name}' is invalid")
        i += 1
    for eid in ids:
        need_eni(eid)
    items = []
    for eid, e in STATE.enis.items():
        if ids and eid not in ids:
            continue
        if want_ip is not None and not want_ip & set(e["ips"]):
            continue
        ips = "".join(f"<item><privateIpAddress>{ip}</privateIpAddress><primary>{'true' if n == 0 else 'false'}"
                      "</primary></item>" for n, ip in enumerate(e["ips"]))
        items.append(f"<item><networkInterfaceId>{eid}</networkInterfaceId><subnetId>{e['subnet']}</subnetId>"
                     f"<sourceDestCheck>{'true' if e['sdc'] else 'false'}</sourceDestCheck>"
                     f"<privateIpAddress>{e['ips'][0]}</privateIpAddress>"
                     f"<privateIpAddressesSet>{ips}</privateIpAddressesSet>"
                     "<groupSet>" + "".join(f"<item><groupId>{g}</groupId><groupName>{g}</groupName></item>"
                                            for g in e["groups"]) + "</groupSet></item>")
    return "<networkInterfaceSet>" + "".join(items) + "</networkInterfaceSet>"


def act_describe_sgs(p, client):
    ids = numbered(p, "GroupId")
    for g in ids:
        if g not in STATE.security_groups:
            raise ApiError(400, "InvalidGroup.NotFound", f"The security group '{g}' does not exist")
    items = []
    for gid, rules in STATE.security_groups.items():
        if ids and gid not in ids:
            continue
        perms = "".join(
            f"<item><ipProtocol>{r['proto']}</ipProtocol>"
            "<groups>" + "".join(f"<item><userId>123456789012</userId><groupId>{g}</groupId></item>"
                                 for g in r.get("groups", [])) + "</groups>"
            "<ipRanges>" + "".join(f"<item><cidrIp>{c}</cidrIp></item>" for c in r.get("cidrs", [])) +
            "</ipRanges><ipv6Ranges/><prefixListIds/></item>" for r in rules)
        items.append(f"<item><ownerId>123456789012</ownerId><groupId>{gid}</groupId><groupName>{gid}</groupName>"
                     f"<ipPermissions>{perms}</ipPermissions><ipPermissionsEgress><item><ipProtocol>-1</ipProtocol>"
                     "<groups/><ipRanges><item><cidrIp>0.0.0.0/0</cidrIp></item></ipRanges></item>"
                     "</ipPermissionsEgress></item>")
    return "<securityGroupInfo>" + "".join(items) + "</securityGroupInfo>"


def act_modify_eni(p, client):
    eni = one(p, "NetworkInterfaceId")
    e = need_eni(eni)
    v = one(p, "SourceDestCheck.Value", False)
    if v is None:
        raise ApiError(400, "MissingParameter", "Only SourceDestCheck.Value is modelled here")
    e["sdc"] = boolean(v, True)
    log(f"{eni}: source/dest check {v} (asked by {client})")
    return "<return>true</return>"


HANDLERS = {"AssociateAddress": act_associate, "DescribeAddresses": act_describe_addresses,
            "AssignPrivateIpAddresses": act_assign, "DescribeNetworkInterfaces": act_describe_enis,
            "ModifyNetworkInterfaceAttribute": act_modify_eni, "DescribeSecurityGroups": act_describe_sgs}


# ----------------------------------------------------------------- servers

class Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 60

    def log_message(self, fmt, *a):
        pass

    def send(self, status, body, ctype="text/xml;charset=UTF-8", extra=(), date=True):
        data = body.encode() if isinstance(body, str) else body
        if date:
            self.send_response(status)    # adds Server and Date
        else:
            self.send_response_only(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True

    def date_header(self):
        return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(STATE.now()))

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""


class Ec2Handler(Quiet):
    def send_error_xml(self, status, code, message, date=True):
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>'
                f"<Code>{xml_escape(code)}</Code><Message>{xml_escape(message)}</Message>"
                f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>")
        if date:
            self.send(status, body, extra=[("Date", self.date_header())])
        else:
            self.send(status, body, date=False)

    def do_POST(self):
        client = self.client_address[0]
        body = self.read_body()
        entry = {"t": time.time(), "client": client, "action": None, "params": {}, "status": 0, "code": ""}
        try:
            params = urllib.parse.parse_qs(body.decode("ascii"), keep_blank_values=True,
                                           strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            params = {}
        action = (params.get("Action") or [None])[0]
        entry["action"] = action
        entry["params"] = {k: v[0] if len(v) == 1 else v for k, v in params.items()
                           if k not in ("Action", "Version")}
        status, code, answer = 200, "", None
        with LOCK:
            STATE.requests.append(entry)
            fault = STATE.fault_for(action or "", (params.get("DryRun") or [""])[0] == "true", client)
            latency = STATE.latency_ms
        if latency:
            time.sleep(latency / 1000.0)
        if fault is not None:
            kind = fault.get("kind")
            entry["fault"] = kind
            log(f"{client} {action}: fault {kind}")
            if kind == "hang":
                time.sleep(fault.get("seconds", 30))
                entry["status"] = -1
                self.close_connection = True
                return
            if kind == "reset":
                entry["status"] = -1
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                self.close_connection = True
                return
            if kind == "slow":
                time.sleep(fault.get("seconds", 1))
            elif kind == "hold":
                with LOCK:
                    ev = STATE.holds.setdefault(str(fault.get("name", "")), threading.Event())
                released = ev.wait(fault.get("seconds", 60))
                entry["held"] = "released" if released else "timed out"
                log(f"{client} {action}: hold {fault.get('name', '')!r} {entry['held']}")
            elif kind == "error":
                st, cd = int(fault.get("status", 400)), str(fault.get("code", "InvalidParameterValue"))
                entry["status"], entry["code"] = st, cd
                self.send_error_xml(st, cd, str(fault.get("message", "injected")), fault.get("date", True))
                return
            elif kind == "html502":
                entry["status"], entry["code"] = 502, "(html)"
                self.send(502, "<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html")
                return
            else:
                st, cd, msg = {"throttle": (503, "RequestLimitExceeded", "Request limit exceeded."),
                               "error500": (500, "InternalError", "An internal error has occurred."),
                               "unavailable": (503, "Unavailable", "The server is overloaded.")}[kind]
                entry["status"], entry["code"] = st, cd
                self.send_error_xml(st, cd, msg)
                return
        try:
            with LOCK:
                key = sigv4check.verify("POST", self.path, list(self.headers.items()), body,
                                        STATE.keys.get, STATE.region, "ec2", STATE.now())
                entry["key_owner"] = key.owner
                if urllib.parse.urlsplit(self.path).path != "/":
                    raise ApiError(400, "InvalidAction", "POST / only")
                if not (self.headers.get("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
                    raise ApiError(400, "InvalidParameterValue", "Content-Type must be a form")
                if (params.get("Version") or [None])[0] != "2016-11-15":
                    raise ApiError(400, "InvalidParameterValue", "Version must be 2016-11-15")
                if action not in ACTIONS:
                    raise ApiError(400, "InvalidAction", f"The action {action} is not valid for this web service.")
                denied = action in STATE.deny
                dry = boolean(one(params, "DryRun", False), False)
                if denied:
                    raise ApiError(403, "UnauthorizedOperation",
                                   f"You are not authorized to perform this operation. (ec2:{action})")
                if dry:
                    raise ApiError(412, "DryRunOperation", "Request would have succeeded, but DryRun flag is set.")
                answer = HANDLERS[action](params, client)
        except sigv4check.Refusal as e:
            status, code, msg = e.status, e.code, e.message
        except ApiError as e:
            status, code, msg = e.status, e.code, e.message
        entry["status"], entry["code"] = status, code
        if status != 200:
            if code not in ("DryRunOperation",):
                log(f"{client} {action}: {status} {code}")
            self.send_error_xml(status, code, msg)
            return
        self.send(200, f'<?xml version="1.0" encoding="UTF-8"?>\n<{action}Response xmlns="{NS}">'
                       f"<requestId>{uuid.uuid4()}</requestId>{answer}</{action}Response>",
                  extra=[("Date", self.date_header())])


class ImdsHandler(Quiet):
    def instance(self):
        return STATE.instances.get(self.client_address[0])

    def do_PUT(self):
        self.read_body()
        if self.path != "/latest/api/token":
            return self.send(403, "Forbidden", "text/plain")
        if self.headers.get("X-Forwarded-For"):
            return self.send(403, "Forbidden", "text/plain")
        with LOCK:
            hang = STATE.imds_put_hang
        if hang:
            time.sleep(30)
            self.close_connection = True
            return
        try:
            ttl = int(self.headers.get("X-aws-ec2-metadata-token-ttl-seconds", ""))
        except ValueError:
            ttl = 0
        if not 1 <= ttl <= 21600:
            return self.send(400, "Bad Request", "text/plain")
        tok = secrets.token_urlsafe(40)
        with LOCK:
            STATE.tokens[tok] = (self.client_address[0], time.time() + ttl)
            hop = STATE.imds_hop_limit
        if hop:
            # as EC2's HttpPutResponseHopLimit: the answer's IP TTL (the connection
            # itself was accepted with the default one)
            self.connection.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, hop)
        self.send(200, tok, "text/plain", [("X-aws-ec2-metadata-token-ttl-seconds", str(ttl))])

    def do_GET(self):
        tok = self.headers.get("X-aws-ec2-metadata-token")
        with LOCK:
            t = STATE.tokens.get(tok or "")
        if t is None or t[0] != self.client_address[0] or t[1] < time.time():
            return self.send(401, "Unauthorized", "text/plain")
        inst = self.instance()
        if inst is None or not self.path.startswith("/latest/meta-data/"):
            return self.send(404, "Not Found", "text/plain")
        p = self.path[len("/latest/meta-data/"):]
        macs = {i["mac"].lower(): i for i in inst["interfaces"]}
        primary = min(inst["interfaces"], key=lambda i: i.get("device", 0))
        val = None
        if p == "instance-id":
            val = inst["instance_id"]
        elif p == "placement/region":
            val = STATE.region
        elif p == "placement/availability-zone":
            val = inst["az"]
        elif p == "mac":
            val = primary["mac"].lower()
        elif p.startswith("network/interfaces/macs/"):
            parts = p.split("/")
            if len(parts) == 5 and parts[3] in macs:
                itf = macs[parts[3]]
                with LOCK:
                    ips = STATE.enis[itf["eni"]]["ips"]
                    val = {"interface-id": itf["eni"], "local-ipv4s": "\n".join(ips),
                           "subnet-id": itf["subnet"]}.get(parts[4])
        elif p == "iam/security-credentials/":
            val = inst.get("role")
        elif p == "iam/security-credentials/" + inst.get("role", "-"):
            with LOCK:
                k = STATE.mint(self.client_address[0])
            val = json.dumps({"Code": "Success", "LastUpdated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                              "Type": "AWS-HMAC", "AccessKeyId": k.akid, "SecretAccessKey": k.secret,
                              "Token": k.token,
                              "Expiration": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(k.expires))},
                             indent=2)
        if val is None:
            return self.send(404, "Not Found", "text/plain")
        self.send(200, val, "text/plain")


class AdminHandler(Quiet):
    def do_GET(self):
        with LOCK:
            if self.path == "/_fake/state":
                out = {"addresses": {al: {"public_ip": a["public_ip"], "association": a["assoc"]}
                                     for al, a in STATE.addresses.items()},
                       "enis": STATE.enis, "history": STATE.history,
                       "keys_minted": sum(1 for k in STATE.keys.values() if k.token)}
            elif self.path == "/_fake/requests":
                out = STATE.requests
            elif self.path == "/_fake/secrets":
                # for the tests' "no secret in any log" check
                out = [[k.secret, k.token] for k in STATE.keys.values() if k.token]
            else:
                return self.send(404, "{}", "application/json")
            data = json.dumps(out, indent=1)
        self.send(200, data, "application/json")

    def do_POST(self):
        body = self.read_body()
        try:
            req = json.loads(body or b"{}")
        except ValueError:
            return self.send(400, '{"error": "bad json"}', "application/json")
        with LOCK:
            if self.path == "/_fake/faults":
                STATE.rules.extend(req.get("rules", []))
                for k in ("latency_ms", "clock_offset_s", "stale_s", "creds_ttl_s", "imds_put_hang",
                          "imds_hop_limit"):
                    if k in req:
                        setattr(STATE, k, req[k])
                if "deny" in req:
                    STATE.deny = set(req["deny"])
            elif self.path == "/_fake/release":
                STATE.holds.setdefault(str(req.get("name", "")), threading.Event()).set()
            elif self.path == "/_fake/reset":
                for ev in STATE.holds.values():
                    ev.set()
                STATE.holds = {}
                STATE.rules, STATE.latency_ms, STATE.clock_offset_s, STATE.stale_s = [], 0, 0, 0
                STATE.deny, STATE.imds_put_hang, STATE.imds_hop_limit = set(), False, 0
            elif self.path == "/_fake/security_groups":
                STATE.security_groups = dict(req)
            elif self.path == "/_fake/expire_creds":
                for k in STATE.keys.values():
                    if k.token:
                        k.expires = time.time() - 1
                log("every minted credential expired")
            elif self.path == "/_fake/associate":
                try:
                    act_associate({"AllocationId": [req["allocation_id"]],
                                   "NetworkInterfaceId": [req["eni"]],
                                   "PrivateIpAddress": [req["private_ip"]]}, "admin")
                except ApiError as e:
                    return self.send(400, json.dumps({"error": e.code}), "application/json")
            else:
                return self.send(404, "{}", "application/json")
        self.send(200, '{"ok": true}', "application/json")


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    tls = None

    def finish_request(self, request, client_address):
        # the TLS handshake runs here, in the request's thread, never in accept()
        if self.tls is not None:
            request.settimeout(30)
            try:
                request = self.tls.wrap_socket(request, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log(f"{client_address[0]}: TLS handshake failed: {e}")
                return
        self.RequestHandlerClass(request, client_address, self)


def listen(spec, handler, tls=None):
    host, port = spec.rsplit(":", 1)
    srv = Server((host, int(port)), handler)
    srv.tls = tls
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def main():
    global STATE, ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixture", required=True)
    ap.add_argument("--ec2", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--imds", required=True)
    ap.add_argument("--admin", required=True)
    ARGS = ap.parse_args()
    with open(ARGS.fixture) as f:
        STATE = State(json.load(f))
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(ARGS.cert, ARGS.key)
    listen(ARGS.ec2, Ec2Handler, ctx)
    listen(ARGS.imds, ImdsHandler)
    listen(ARGS.admin, AdminHandler)
    log(f"ready: EC2 https://{ARGS.ec2} IMDS http://{ARGS.imds} admin http://{ARGS.admin} "
        f"(pid {os.getpid()})")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
