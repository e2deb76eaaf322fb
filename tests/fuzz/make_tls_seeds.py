#!/usr/bin/env python3
"""Writes the ClientHello seeds of the tls_client_hello fuzz target: the first flight of a real
TLS client (Python's ssl, i.e. OpenSSL), as a gRPC client (ALPN h2), curl (h2, http/1.1), a
client without ALPN, a TLS 1.2-only client, and one split across two TLS records.

    python3 tests/fuzz/make_tls_seeds.py   (from anywhere; writes beside this file)
"""
import os
import ssl

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tls_client_hello", "seeds")


def hello(alpn=None, sni="localhost", max_version=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if alpn:
        ctx.set_alpn_protocols(alpn)
    if max_version:
        ctx.maximum_version = max_version
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    conn = ctx.wrap_bio(incoming, outgoing, server_hostname=sni)
    try:
        conn.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outgoing.read()


def split_records(rec):
    """The same handshake message carried in two records (clients may fragment it)."""
    body = rec[5:]
    half = len(body) // 2
    head = rec[:3]
    return (head + len(body[:half]).to_bytes(2, "big") + body[:half] +
            head + len(body[half:]).to_bytes(2, "big") + body[half:])


def main():
    os.makedirs(OUT, exist_ok=True)
    seeds = {
        "grpc_h2": hello(["h2"]),
        "curl_h2_http11": hello(["h2", "http/1.1"]),
        "no_alpn_ip": hello(None, sni=None),
        "tls12_http11": hello(["http/1.1"], max_version=ssl.TLSVersion.TLSv1_2),
    }
    seeds["fragmented"] = split_records(seeds["curl_h2_http11"])
    for name, data in seeds.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
