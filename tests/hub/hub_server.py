#!/usr/bin/env python3
"""hub_server.py: a small Hugging Face hub on 127.0.0.1 for the hub client tests.

Serves the golden model folders (tests/fixtures/hf/models/NAME) as repos OpenMedTest/NAME the
way huggingface.co does: the revision API (GET /api/models/{repo}/revision/{rev}?blobs=true),
resolve URLs (/{repo}/resolve/{rev}/{path}) that answer LFS files with a 302 to a file store
(/cdn/{sha256}) carrying X-Repo-Commit, X-Linked-Etag and X-Linked-Size, ETag on regular files,
Range requests, 401/403/404 with X-Error-Code. Special repos inject failures:
  OpenMedTest/gated-bert       needs "Authorization: Bearer hf_test_token" (401 GatedRepo, 403 wrong token)
  OpenMedTest/corrupt-roberta  the file store serves a flipped byte in model.safetensors
  OpenMedTest/missing-file     lists vocab.txt but answers 404 EntryNotFound for it
  OpenMedTest/pickle-only      has config.json and pytorch_model.bin only
  OpenMedTest/sharded          two safetensors shards + index, files in a subfolder, an .onnx file
  OpenMedTest/bad-json         the revision API answers with broken JSON
  OpenMedTest/bad-sha          the revision API answers with a malformed commit and siblings
  GET /_fault?repo=R&file=F[&kind=K][&times=N][&target=URL]
                               misbehave on the next N (default 1) requests for file F of repo R:
     cut           the download is cut after half its bytes (the default kind)
     endless       the download sends the file, then garbage forever, with no Content-Length
     oversize      the download announces and sends 1000 bytes more than the file has
     drip          the download sends one byte every 50 ms
     busy          the download is answered 503 with Retry-After: 1
     slow_head     HEAD on the resolve URL waits 30 s before answering
     redirect      the resolve URL (HEAD or GET) redirects to URL instead (X-Linked-* kept)
     cdn_redirect  the file store (or a plain file's resolve GET) redirects to URL
  --port P binds that port (0, the default, takes a free one).
Every request is appended to STATE/requests.log ("METHOD PATH RANGE AUTH"). On start it writes
STATE/registry.jsonl (manifest rows for the repos, pinned with OpenMed's reproducibility hash;
OpenMedTest/stale-bert carries an out-of-date pin) and then STATE/port.
"""
import argparse
import hashlib
import json
import os
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN = "hf_test_token"
ORG = "OpenMedTest"
LAST_MODIFIED = "2026-01-15T10:20:30.000Z"


class Repo:
    def __init__(self, name, files, gated=False, corrupt=None, missing=()):
        self.name = name
        self.files = files  # path -> bytes
        self.gated = gated
        self.corrupt = corrupt
        self.missing = set(missing)
        digest = hashlib.sha1(name.encode())
        for path in sorted(files):
            digest.update(path.encode() + hashlib.sha256(files[path]).digest())
        self.commit = digest.hexdigest()

    def meta(self, path):
        data = self.files[path]
        lfs = path.endswith((".safetensors", ".bin")) or len(data) >= 100_000
        git = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        return {"size": len(data), "git": git, "sha256": hashlib.sha256(data).hexdigest(), "lfs": lfs}


def load_repos(models_dir):
    repos = {}
    folders = sorted(d for d in os.listdir(models_dir) if os.path.isdir(os.path.join(models_dir, d)))
    for folder in folders:
        files = {}
        for fn in sorted(os.listdir(os.path.join(models_dir, folder))):
            with open(os.path.join(models_dir, folder, fn), "rb") as f:
                files[fn] = f.read()
        files["README.md"] = b"# " + folder.encode() + b"\n"
        files["pytorch_model.bin"] = b"\x80\x02pickle that must never be fetched"
        repos[folder] = Repo(folder, files)
    base = repos["bert-uncased"].files
    repos["gated-bert"] = Repo("gated-bert", dict(base), gated=True)
    repos["corrupt-roberta"] = Repo("corrupt-roberta", dict(repos["roberta"].files), corrupt="model.safetensors")
    missing = dict(base)
    missing["vocab.txt"] = b"[PAD]\n[UNK]\n"
    repos["missing-file"] = Repo("missing-file", missing, missing=["vocab.txt"])
    repos["pickle-only"] = Repo("pickle-only", {"config.json": base["config.json"],
                                                "pytorch_model.bin": b"\x80\x02pickle"})
    repos["stale-bert"] = Repo("stale-bert", dict(repos["bert-cased"].files))
    sharded = {"config.json": base["config.json"], "tokenizer.json": base["tokenizer.json"],
               "model-00001-of-00002.safetensors": b"shard one " * 1000,
               "model-00002-of-00002.safetensors": b"shard two " * 1500,
               "model.safetensors.index.json": b'{"metadata": {}, "weight_map": {}}',
               "onnx/model.onnx": b"onnx bytes", "onnx/tokenizer.json": base["tokenizer.json"],
               "training_args.bin": b"\x80\x02pickle"}
    repos["sharded"] = Repo("sharded", sharded)
    repos["bad-json"] = Repo("bad-json", {"config.json": base["config.json"]})
    repos["bad-sha"] = Repo("bad-sha", {"config.json": base["config.json"]})
    return repos


def reproducibility_hash(repo_id, repo):
    """OpenMed's _remote_reproducibility_hash over what the revision API reports."""
    payload = json.dumps({"repo_id": repo_id, "sha": repo.commit, "released": LAST_MODIFIED[:10],
                          "siblings": sorted(repo.files)}, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


def manifest_rows(repos):
    rows = []
    for name, repo in sorted(repos.items()):
        repo_id = f"{ORG}/{name}"
        pin = reproducibility_hash(repo_id, repo)
        if name in ("bad-json", "bad-sha"):
            continue
        if name == "stale-bert":
            pin = "sha256:" + "0" * 64
        rows.append({"repo_id": repo_id, "family": "NER", "task": "token-classification", "languages": ["en"],
                     "tier": None, "param_count": 1000000, "architecture": "bert", "base_model": None,
                     "formats": ["pytorch"], "canonical_labels": [], "benchmark": {}, "arxiv": None,
                     "license": "apache-2.0", "reproducibility_hash": pin, "released": LAST_MODIFIED[:10]})
    return rows


class Hub(BaseHTTPRequestHandler):
    server_version = "TestHub/1.0"

    def log_message(self, fmt, *args):
        pass

    def record(self):
        line = "%s %s %s %s\n" % (self.command, self.path, self.headers.get("Range", "-"),
                                  "auth" if self.headers.get("Authorization") else "-")
        with self.server.lock:
            with open(self.server.log_path, "a") as f:
                f.write(line)

    def reply(self, code, body=b"", headers=None, send_body=True):
        self.send_response(code)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body and self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, error_code, message):
        self.reply(code, json.dumps({"error": message}).encode(),
                   {"X-Error-Code": error_code, "X-Error-Message": message, "Content-Type": "application/json"})

    def find_repo(self, org, name):
        repo = self.server.repos.get(name) if org == ORG else None
        if repo is None:
            self.error(404, "RepoNotFound", "Repository not found")
            return None
        if repo.gated:
            auth = self.headers.get("Authorization", "")
            if not auth:
                self.error(401, "GatedRepo", f"Access to model {ORG}/{name} is restricted. You must have access to it.")
                return None
            if auth != "Bearer " + TOKEN:
                self.error(403, "GatedRepo", f"Access to model {ORG}/{name} is restricted and your token has no access.")
                return None
        return repo

    def revision_ok(self, repo, rev):
        if rev in ("main", "v1", "refs/pr/1", repo.commit):
            return True
        self.error(404, "RevisionNotFound", f"Invalid rev id: {rev}")
        return False

    def take_fault(self, name, path, kinds):
        """The pending fault of one of `kinds` for this file, used up by this request; else None."""
        with self.server.lock:
            fault = self.server.faults.get((name, path))
            if fault is None or fault["kind"] not in kinds:
                return None
            fault["times"] -= 1
            if fault["times"] <= 0:
                del self.server.faults[(name, path)]
            return dict(fault)

    def send_file(self, name, path, data, extra_headers):
        """Answer a GET/HEAD for file bytes (with Range), misbehaving as a pending fault says."""
        start = 0
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
            if start >= len(data):
                return self.reply(416, b"", {"Content-Range": "bytes */%d" % len(data)})
        fault = None
        if self.command == "GET":
            fault = self.take_fault(name, path, ("cut", "endless", "oversize", "drip", "busy", "cdn_redirect"))
        kind = fault["kind"] if fault else None
        if kind == "busy":
            return self.reply(503, b"busy", {"Retry-After": "1"})
        if kind == "cdn_redirect":
            return self.reply(302, b"", {"Location": fault["target"]})
        body = data[start:]
        self.send_response(206 if start else 200)
        for k, v in extra_headers.items():
            self.send_header(k, v)
        self.send_header("Accept-Ranges", "bytes")
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        if kind == "endless":
            self.send_header("Connection", "close")
        elif kind == "oversize":
            self.send_header("Content-Length", str(len(body) + 1000))
        else:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        try:
            if kind == "cut":  # the connection drops half way through the file
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
            elif kind == "endless":
                self.wfile.write(body)
                while True:
                    self.wfile.write(b"\0garbage" * 8192)
            elif kind == "oversize":
                self.wfile.write(body + b"x" * 1000)
            elif kind == "drip":
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            else:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def do_HEAD(self):
        self.handle_request()

    def do_GET(self):
        self.handle_request()

    def handle_request(self):
        self.record()
        url = urllib.parse.urlsplit(self.path)
        parts = url.path.split("/")
        query = urllib.parse.parse_qs(url.query)
        if url.path == "/_fault":
            fault = {"kind": query.get("kind", ["cut"])[0], "times": int(query.get("times", ["1"])[0]),
                     "target": query.get("target", [""])[0]}
            with self.server.lock:
                self.server.faults[(query["repo"][0], query["file"][0])] = fault
            return self.reply(200, b"ok")
        if len(parts) >= 6 and parts[1] == "api" and parts[2] == "models" and parts[5] == "revision":
            return self.api(parts[3], parts[4], urllib.parse.unquote("/".join(parts[6:])), query)
        if len(parts) >= 6 and parts[3] == "resolve":
            return self.resolve(parts[1], parts[2], urllib.parse.unquote(parts[4]),
                                urllib.parse.unquote("/".join(parts[5:])))
        if len(parts) == 3 and parts[1] == "cdn":
            return self.cdn(parts[2], query)
        self.error(404, "NotFound", "no such route")

    def api(self, org, name, rev, query):
        repo = self.find_repo(org, name)
        if repo is None or not self.revision_ok(repo, rev):
            return
        if name == "bad-json":
            return self.reply(200, b'{"sha": "' + repo.commit.encode() + b'", "siblings": [', {})
        if name == "bad-sha":
            body = {"id": f"{ORG}/{name}", "sha": "not-a-commit", "siblings": [{"size": 3}]}
            return self.reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        blobs = query.get("blobs", ["false"])[0].lower() == "true"
        siblings = []
        for path in sorted(repo.files):
            entry = {"rfilename": path}
            if blobs:
                m = repo.meta(path)
                entry["size"] = m["size"]
                entry["blobId"] = m["git"]
                if m["lfs"]:
                    entry["lfs"] = {"sha256": m["sha256"], "size": m["size"], "pointerSize": 134}
            siblings.append(entry)
        body = {"_id": "x", "id": f"{ORG}/{name}", "modelId": f"{ORG}/{name}", "sha": repo.commit,
                "lastModified": LAST_MODIFIED, "createdAt": "2025-12-01T00:00:00.000Z", "private": False,
                "gated": "manual" if repo.gated else False, "siblings": siblings}
        self.reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})

    def resolve(self, org, name, rev, path):
        repo = self.find_repo(org, name)
        if repo is None or not self.revision_ok(repo, rev):
            return
        if path not in repo.files or path in repo.missing:
            return self.error(404, "EntryNotFound", f"{path} does not exist on \"{rev}\"")
        m = repo.meta(path)
        headers = {"X-Repo-Commit": repo.commit}
        if self.command == "HEAD" and self.take_fault(name, path, ("slow_head",)):
            time.sleep(30)
        redirect = self.take_fault(name, path, ("redirect",))
        if m["lfs"] or redirect:
            q = urllib.parse.urlencode({"repo": name, "file": path})
            headers.update({"X-Linked-Etag": '"%s"' % (m["sha256"] if m["lfs"] else m["git"]),
                            "X-Linked-Size": str(m["size"]),
                            "ETag": '"%s"' % hashlib.sha1(m["sha256"].encode()).hexdigest(),
                            "Location": redirect["target"] if redirect else "/cdn/%s?%s" % (m["sha256"], q)})
            return self.reply(302, b"", headers)
        headers["ETag"] = '"%s"' % m["git"]
        self.send_file(name, path, repo.files[path], headers)

    def cdn(self, sha, query):
        name, path = query.get("repo", [""])[0], query.get("file", [""])[0]
        repo = self.server.repos.get(name)
        if repo is None or path not in repo.files or repo.meta(path)["sha256"] != sha:
            return self.error(404, "NotFound", "no such object")
        data = repo.files[path]
        if repo.corrupt == path:
            data = data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]
        self.send_file(name, path, data, {})


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", required=True)
    ap.add_argument("--state", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Hub)
    server.daemon_threads = True
    server.repos = load_repos(args.models)
    server.lock = threading.Lock()
    server.faults = {}
    server.log_path = os.path.join(args.state, "requests.log")
    open(server.log_path, "w").close()
    with open(os.path.join(args.state, "registry.jsonl"), "w") as f:
        for row in manifest_rows(server.repos):
            f.write(json.dumps(row) + "\n")
    tmp = os.path.join(args.state, "port.tmp")
    with open(tmp, "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(tmp, os.path.join(args.state, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
