#!/usr/bin/env python3
"""Tiny static file server for perf measurements (stdlib only).

Copied from the team's ../shared/bench/serve.py for `cargo xtask bench widget`,
which serves the SurveyJS comparison page with it. Changes: the default port
is 0 (any free port), and after binding it prints
`serve.py listening on http://HOST:PORT/` on stdout, which xtask reads.

Usage: serve.py ROOT [--port 0] [--host 127.0.0.1] [--encoding auto|identity|gzip|br]

- Serves files under ROOT.
- If a precompressed sibling exists (FILE.br / FILE.gz) and the client's
  Accept-Encoding allows it, serves that with Content-Encoding set, so the
  browser sees what a CDN would send.  --encoding forces a choice
  (identity = never compress).  Create siblings with `precompress.sh ROOT`.
- No caching headers (Cache-Control: no-store), HTTP/1.1 keep-alive.
- Logs one line per request to stderr: path, chosen encoding, bytes, Accept-Encoding.
"""
import argparse
import mimetypes
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("text/javascript", ".mjs")
mimetypes.add_type("text/javascript", ".cjs")
mimetypes.add_type("text/css", ".css")


def make_handler(root, force):
    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet default log
            pass

        def do_GET(self):
            self._serve(head=False)

        def do_HEAD(self):
            self._serve(head=True)

        def _serve(self, head):
            path = unquote(urlsplit(self.path).path)
            if path.endswith("/"):
                path += "index.html"
            full = os.path.realpath(os.path.join(root, path.lstrip("/")))
            if not full.startswith(os.path.realpath(root)) or not os.path.isfile(full):
                body = b"not found"
                self.send_response(404)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not head:
                    self.wfile.write(body)
                return
            ae = self.headers.get("Accept-Encoding", "")
            accepted = {t.split(";")[0].strip() for t in ae.split(",") if t.strip()}
            enc, fpath = "identity", full
            candidates = []
            if force == "auto":
                candidates = [("br", ".br"), ("gzip", ".gz")]
            elif force in ("br", "gzip"):
                candidates = [(force, ".br" if force == "br" else ".gz")]
            for name, suffix in candidates:
                if (force != "auto" or name in accepted) and os.path.isfile(full + suffix):
                    enc, fpath = name, full + suffix
                    break
            ctype = mimetypes.guess_type(full)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype in ("application/json",):
                ctype += "; charset=utf-8"
            with open(fpath, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            if enc != "identity":
                self.send_header("Content-Encoding", enc)
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            if not head:
                self.wfile.write(data)
            sys.stderr.write(f"{path}\t{enc}\t{len(data)}\tAE={ae}\n")
            sys.stderr.flush()

    return H


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("root")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--encoding", default="auto", choices=["auto", "identity", "gzip", "br"])
    a = ap.parse_args()
    srv = ThreadingHTTPServer((a.host, a.port), make_handler(os.path.abspath(a.root), a.encoding))
    host, port = srv.server_address[:2]
    print(f"serve.py listening on http://{host}:{port}/ root={a.root} encoding={a.encoding}", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
