#!/usr/bin/python3

# SPDX-License-Identifier: Apache-2.0
"""selftest - the fake endpoint's signature check must accept what botocore signs
and refuse any one-byte change; and it must accept the EC2 worked example whose
signature three implementations agree on (shared/research/aws.md, section 2).

Exit 0 when every case behaves; prints one line per case.
"""
import calendar
import sys
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import sigv4check

REGION = "eu-west-1"
NOW = time.time()
KEYS = {
    "AKIDLONGTERM": sigv4check.Key("AKIDLONGTERM", "long/term+secret"),
    "ASIATEMP": sigv4check.Key("ASIATEMP", "temp/secret", token="TOKEN//abc==", expires=NOW + 3600),
    "ASIAOLD": sigv4check.Key("ASIAOLD", "old", token="OLDTOKEN", expires=NOW - 1),
}
BODY = (b"Action=AssociateAddress&Version=2016-11-15&AllocationId=eipalloc-0abc"
        b"&NetworkInterfaceId=eni-0123&PrivateIpAddress=10.0.1.20&AllowReassociation=true")
failures = 0


def signed(akid, host="192.0.2.100:8443", body=BODY, region=REGION):
    k = KEYS[akid]
    req = AWSRequest(method="POST", url=f"https://{host}/", data=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
                              "Host": host})
    SigV4Auth(Credentials(k.akid, k.secret, k.token), "ec2", region).add_auth(req)
    return [(n, v) for n, v in req.headers.items()], body


def check(name, headers, body, want, now=NOW, path="/"):
    global failures
    try:
        sigv4check.verify("POST", path, headers, body, KEYS.get, REGION, "ec2", now)
        got = "ok"
    except sigv4check.Refusal as e:
        got = e.code
    ok = got == want
    failures += not ok
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {got}" + ("" if ok else f" (want {want})"))


def replace(headers, name, fn):
    return [(n, fn(v) if n.lower() == name else v) for n, v in headers]


def flip(s, i=-1):
    c = s[i]
    return s[:i] + ("0" if c != "0" else "1") + (s[i + 1:] if i != -1 else "")


h, b = signed("AKIDLONGTERM")
check("botocore, long-term key", h, b, "ok")
h2, b2 = signed("ASIATEMP")
check("botocore, session token", h2, b2, "ok")
h3, b3 = signed("AKIDLONGTERM", host="ec2.eu-west-1.amazonaws.com")
check("botocore, DNS name without port", h3, b3, "ok")

check("body: one byte changed", h, b[:-1] + b"x", "SignatureDoesNotMatch")
check("body: one byte more", h, b + b"&", "SignatureDoesNotMatch")
check("path changed", h, b, "SignatureDoesNotMatch", path="/x")
check("signature: last hex digit changed", replace(h, "authorization", flip), b, "SignatureDoesNotMatch")
check("content-type changed", replace(h, "content-type", lambda v: v.replace("utf-8", "utf-9")), b,
      "SignatureDoesNotMatch")
check("host changed", replace(h, "host", lambda v: v.replace("8443", "8444")), b, "SignatureDoesNotMatch")
check("x-amz-date one second later", replace(h, "x-amz-date", lambda v: v[:-3] + f"{(int(v[-3:-1]) + 1) % 60:02d}Z"),
      b, "SignatureDoesNotMatch")
check("token changed", replace(h2, "x-amz-security-token", lambda v: v + "x"), b2, "AuthFailure")
check("token dropped", [(n, v) for n, v in h2 if n.lower() != "x-amz-security-token"], b2, "AuthFailure")
check("unknown key", replace(h, "authorization", lambda v: v.replace("AKIDLONGTERM", "AKIDUNKNOWN")), b,
      "AuthFailure")
check("region of another scope", *signed("AKIDLONGTERM", region="us-east-1"), "SignatureDoesNotMatch")
check("clock 16 minutes ahead of the signer", h, b, "RequestExpired", now=NOW + 16 * 60)
check("clock 14 minutes ahead of the signer", h, b, "ok", now=NOW + 14 * 60)
KEYS["ASIAOLD"].expires = NOW + 60
ho, bo = signed("ASIAOLD")
KEYS["ASIAOLD"].expires = NOW - 1
check("expired session credentials", ho, bo, "RequestExpired")
check("no Authorization", [(n, v) for n, v in h if n.lower() != "authorization"], b,
      "MissingAuthenticationToken")

# The EC2 worked example (research section 2): three signers agree on this signature.
KEYS["AKIDEXAMPLE"] = sigv4check.Key("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                     token="EXAMPLESESSIONTOKEN")
ex_body = (b"Action=AssociateAddress&Version=2016-11-15&AllocationId=eipalloc-0123456789abcdef0"
           b"&InstanceId=i-0123456789abcdef0&AllowReassociation=true")
ex_sig = "3dfc8b8ae149c096074b1aeec51b50adb8664320a859d4eaee19a8d4aed77e40"
ex_headers = [
    ("Host", "ec2.us-east-1.amazonaws.com"),
    ("Content-Type", "application/x-www-form-urlencoded; charset=utf-8"),
    ("X-Amz-Date", "20150830T123600Z"),
    ("X-Amz-Security-Token", "EXAMPLESESSIONTOKEN"),
    ("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/ec2/aws4_request, "
     "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=" + ex_sig),
]
ex_now = calendar.timegm(time.strptime("20150830T123600Z", "%Y%m%dT%H%M%SZ"))
REGION = "us-east-1"
check("EC2 worked example (research)", ex_headers, ex_body, "ok", now=ex_now)
check("EC2 worked example, body changed", ex_headers, ex_body.replace(b"true", b"True"),
      "SignatureDoesNotMatch", now=ex_now)

print(f"selftest: {failures} failure(s)")
sys.exit(1 if failures else 0)
