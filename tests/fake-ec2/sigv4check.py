# SPDX-License-Identifier: Apache-2.0
"""sigv4check - verify an AWS SigV4 header signature with botocore, independently
of the daemon's own signer (daemon/cloud/sigv4.c).

The request is rebuilt from exactly what arrived - method, path, the headers the
Authorization header says were signed, the body bytes - and botocore's SigV4Auth
computes the canonical request, the string to sign and the signature over it.
Everything else a real endpoint checks is checked too: the scope (date, region,
service), X-Amz-Date within 15 minutes of the endpoint's clock, the key, the
session token (present, signed and equal), the credentials' expiry.

Use Debian's interpreter (/usr/bin/python3): python3-botocore 1.29.
"""
import calendar
import hmac
import re
import time

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

AUTH_RE = re.compile(
    r"^AWS4-HMAC-SHA256 Credential=([A-Za-z0-9]+)/(\d{8})/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request,"
    r"\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$")
DATE_RE = re.compile(r"^\d{8}T\d{6}Z$")
SKEW_S = 15 * 60


class Key:
    """One access key as the endpoint knows it."""

    def __init__(self, akid, secret, token=None, expires=None, owner=None):
        self.akid = akid
        self.secret = secret
        self.token = token
        self.expires = expires      # epoch seconds, None: never
        self.owner = owner


class Refusal(Exception):
    def __init__(self, status, code, message):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


def verify(method, path, headers, body, lookup, region, service, now):
    """headers: list of (name, value) as received.  lookup(akid) -> Key or None.
    now: the endpoint's clock (epoch seconds).  Returns the Key, or raises Refusal."""
    hmap = {}
    for name, value in headers:
        hmap.setdefault(name.lower(), []).append(value)
    auth = hmap.get("authorization", [])
    if len(auth) != 1:
        raise Refusal(401, "MissingAuthenticationToken", "Request is missing Authentication Token")
    m = AUTH_RE.match(auth[0])
    if not m:
        raise Refusal(400, "IncompleteSignature", "Malformed Authorization header")
    akid, sdate, sregion, sservice, signed, sig = m.groups()
    amz = hmap.get("x-amz-date", [])
    if len(amz) != 1 or not DATE_RE.match(amz[0]):
        raise Refusal(400, "IncompleteSignature", "X-Amz-Date missing or malformed")
    amz_date = amz[0]
    if amz_date[:8] != sdate:
        raise Refusal(403, "SignatureDoesNotMatch", "Credential scope date is not X-Amz-Date's")
    if sregion != region or sservice != service:
        raise Refusal(403, "SignatureDoesNotMatch",
                      f"Credential should be scoped to a valid region ({region}) and service")
    names = signed.split(";")
    if names != sorted(set(names)) or "host" not in names or "x-amz-date" not in names:
        raise Refusal(403, "SignatureDoesNotMatch", "SignedHeaders must be sorted and hold host and x-amz-date")
    t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
    if abs(now - t) > SKEW_S:
        raise Refusal(400, "RequestExpired",
                      f"Request has expired. Timestamp date is {amz_date}")
    key = lookup(akid)
    if key is None:
        raise Refusal(401, "AuthFailure", "AWS was not able to validate the provided access credentials")
    if key.expires is not None and key.expires <= now:
        raise Refusal(400, "RequestExpired", "Request has expired. The security token included in the request is expired")
    tok = hmap.get("x-amz-security-token", [])
    if key.token is not None:
        if tok != [key.token] or "x-amz-security-token" not in names:
            raise Refusal(401, "AuthFailure", "The security token included in the request is invalid")
    elif tok:
        raise Refusal(401, "AuthFailure", "A security token was sent with long-term credentials")
    rebuilt = {}
    for n in names:
        if n not in hmap:
            raise Refusal(403, "SignatureDoesNotMatch", f"signed header {n} is missing")
        rebuilt[n] = ",".join(hmap[n])
    req = AWSRequest(method=method, url="https://" + rebuilt["host"] + path, data=body,
                     headers=rebuilt)
    req.context["timestamp"] = amz_date
    signer = SigV4Auth(Credentials(akid, key.secret, key.token), service, region)
    creq = signer.canonical_request(req)
    sts = signer.string_to_sign(req, creq)
    want = signer.signature(sts, req)
    if not hmac.compare_digest(want, sig):
        raise Refusal(403, "SignatureDoesNotMatch",
                      "The request signature we calculated does not match the signature you provided")
    return key
