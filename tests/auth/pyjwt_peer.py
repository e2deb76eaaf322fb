#!/usr/bin/env python3
"""An independent JWT implementation (PyJWT, Debian's python3-jwt) for src/auth/jwt_interop_test.cc.

Usage: pyjwt_peer.py REQUESTS.json RESPONSES.json

REQUESTS is a JSON list; each request is
  {"alg": "RS256", "priv": PATH, "pub": PATH or "",
   "verify": TOKEN or null,                          -> "username", "revision" or "error"
   "sign": {"username": U, "revision": R, "exp": E}  -> "token"
  }
For HS* "priv" is the secret file, used as it is. Verification requires "exp" and checks it
against the clock. RESPONSES gets one flat JSON object a line per request, in order. Tokens and keys are written to
files only, never printed.
"""

import json
import sys

import jwt


def read(path):
    with open(path, 'rb') as f:
        return f.read()


def verify(req):
    key = read(req['pub'] or req['priv'])
    try:
        claims = jwt.decode(req['verify'], key, algorithms=[req['alg']],
                            options={'require': ['exp']})
    except jwt.PyJWTError as e:
        return {'error': type(e).__name__}
    return {'username': claims.get('username'), 'revision': claims.get('revision')}


def sign(req):
    return {'token': jwt.encode(req['sign'], read(req['priv']), algorithm=req['alg'])}


def main():
    requests = json.loads(read(sys.argv[1]))
    with open(sys.argv[2], 'w') as f:
        for req in requests:
            out = {}
            if req.get('verify') is not None:
                out.update(verify(req))
            if req.get('sign') is not None:
                out.update(sign(req))
            f.write(json.dumps(out) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
