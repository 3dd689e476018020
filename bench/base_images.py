#!/usr/bin/env python3
"""Regenerate ``entrylint/data/official_images.json`` from the docker-library Dockerfiles.

For each official image in :data:`IMAGES`, it reads ``library/<name>`` of
docker-library/official-images (which tags are built from which repository, commit and
directory), then the Dockerfile of every Linux tag at that commit, and records what
start-up cares about: the final stage's ``FROM`` (followed through other official images down
to the operating system), ``ENTRYPOINT``, ``CMD``, ``USER`` and ``STOPSIGNAL``, each with the
``repo@commit:path`` it was read from.  The operating-system images themselves (debian, ubuntu,
alpine) are built from root file systems, not Dockerfiles: their facts are in the curated
``entrylint/data/base_images.toml``, which this script reads for them.

The repositories come as bare git directories (the search tool's ``fetch`` puts them under
``/work/.mirror/<owner>+<name>/repo``); nothing of them is copied into this project, only the
facts.  A repository that is not there is skipped and listed at the end.

Usage:  python bench/base_images.py [--mirror /work/.mirror]
                                   [--out entrylint/data/official_images.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import posixpath
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entrylint.dockerfile import Unknown, parse, split_words, substitute
from entrylint.source import SourceFile

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "entrylint" / "data" / "official_images.json"

#: The official images whose facts are generated (the base images people use most).
IMAGES = (
    "python", "node", "golang", "ruby", "php", "openjdk", "eclipse-temurin", "maven", "gradle",
    "nginx", "httpd", "postgres", "mysql", "mariadb", "mongo", "redis", "rabbitmq",
    "elasticsearch", "couchdb", "wordpress", "busybox", "tomcat", "haproxy", "memcached",
    "cassandra", "ghost", "drupal", "docker", "influxdb", "nextcloud", "solr", "zookeeper",
    "amazoncorretto", "kibana", "buildpack-deps",
)
#: Images built from a root file system (no Dockerfile with facts): base_images.toml has them.
OS_IMAGES = frozenset({"debian", "ubuntu", "alpine", "busybox", "amazonlinux", "oraclelinux",
                       "fedora", "rockylinux", "almalinux", "centos", "scratch"})
#: Registries and name prefixes of operating-system images (Red Hat UBI).
OS_PREFIXES = ("redhat/ubi", "registry.access.redhat.com/", "registry.redhat.io/")


def is_os_image(name: str) -> bool:
    return name in OS_IMAGES or name.startswith(OS_PREFIXES)


def base_tag_in(tags: dict[str, Any], tag: str) -> str | None:
    """``tag`` of a base official image, or (when the Dockerfile pins a version that is no
    longer listed, ``nginx:1.29.8-alpine-slim``) the listed tag of the same variant."""
    if tag in tags:
        return tag
    rest = re.sub(r"^\d+(\.\d+)*", "", tag)
    if rest == tag:
        return None
    same = sorted(t for t in tags if re.sub(r"^\d+(\.\d+)*", "", t) == rest
                  and re.match(r"^\d", t))
    return same[0] if same else None


@dataclass
class Entry:
    tags: list[str]
    repo: str  # owner/name
    commit: str
    directory: str
    file: str = "Dockerfile"
    arches: list[str] = field(default_factory=list)
    branch: str = ""  # GitFetch: refs/heads/<branch>


def library_entries(text: str) -> tuple[str, list[Entry]]:
    """The GitRepo and the tag entries of an official-images ``library/<name>`` file."""
    default_repo = ""
    default_commit = ""
    default_file = "Dockerfile"
    default_dir = "."
    default_fetch = ""
    out: list[Entry] = []
    for block in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            if line.startswith("#") or ":" not in line:
                continue
            key, value = line.split(":", 1)
            fields[key.strip()] = value.strip()
        if "Tags" not in fields:
            default_repo = fields.get("GitRepo", default_repo)
            default_commit = fields.get("GitCommit", default_commit)
            default_file = fields.get("File", default_file)
            default_dir = fields.get("Directory", default_dir)
            default_fetch = fields.get("GitFetch", default_fetch)
            continue
        tags = [t.strip() for t in fields["Tags"].split(",") if t.strip()]
        tags += [t.strip() for t in fields.get("SharedTags", "").split(",") if t.strip()]
        repo_url = fields.get("GitRepo", default_repo)
        repo = re.sub(r"^https://github\.com/|\.git$|/$", "", repo_url)
        arches = [a.strip() for a in fields.get("Architectures", "amd64").split(",")]
        out.append(Entry(tags, repo, fields.get("GitCommit", default_commit),
                         fields.get("Directory", default_dir), fields.get("File", default_file),
                         arches,
                         fields.get("GitFetch", default_fetch).removeprefix("refs/heads/")))
    return default_repo, out


def git_show(mirror: Path, repo: str, commit: str, path: str) -> str | None:
    gitdir = mirror / repo.replace("/", "+") / "repo"
    if not gitdir.is_dir():
        return None
    res = subprocess.run(["git", f"--git-dir={gitdir}", "show", f"{commit}:{path}"],
                         capture_output=True, text=True)
    return res.stdout if res.returncode == 0 else None


def read_pinned(mirror: Path, repo: str, commit: str, path: str, branch: str = ""
                ) -> tuple[str, str] | None:
    """The file at the commit official-images pins, or else (when the snapshot does not have
    that commit) at the tip of its branch or the snapshot's newest commit; with the commit it
    was read at."""
    text = git_show(mirror, repo, commit, path)
    if text is not None:
        return text, commit
    gitdir = mirror / repo.replace("/", "+") / "repo"
    for rev in ([branch] if branch else []) + ["HEAD"]:
        head = subprocess.run(["git", f"--git-dir={gitdir}", "rev-parse", "--verify", "-q",
                               f"{rev}^{{commit}}"], capture_output=True, text=True)
        if head.returncode != 0:
            continue
        text = git_show(mirror, repo, head.stdout.strip(), path)
        if text is not None:
            return text, head.stdout.strip()
    return None


@dataclass
class Facts:
    base: str  # the final stage's FROM
    #: exec form, or ``{"shell": text}``; None when not set
    entrypoint: list[str] | dict[str, str] | None = None
    cmd: list[str] | dict[str, str] | None = None
    user: str | None = None
    stopsignal: str | None = None
    set_here: set[str] = field(default_factory=set)
    #: container path -> the build-context file COPY puts there
    copies: dict[str, str] = field(default_factory=dict)
    #: what this stage itself sets (an ENTRYPOINT resets a CMD it did not set)
    in_stage: set[str] = field(default_factory=set)


def dockerfile_facts(text: str) -> Facts | None:
    """FROM, ENTRYPOINT, CMD, USER and STOPSIGNAL of the final stage (following ``FROM``
    a previous stage of the same file)."""
    df = parse(SourceFile(Path("Dockerfile"), text.encode()))
    args: dict[str, str | None] = {}
    stages: list[tuple[str | None, Facts]] = []
    for ins in df.instructions:
        kw = ins.keyword
        if kw == "ARG" and not stages:
            for word in split_words(ins.args):
                key, _, value = word.partition("=")
                args[key] = value or None
            continue
        if kw == "FROM":
            words = split_words(ins.flags_and_rest()[1])
            ref = words[0] if words else ""
            with contextlib.suppress(Unknown):
                ref = substitute(ref, args)
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            parent = next((f for n, f in stages if n == ref.lower()), None)
            facts = Facts(base=ref) if parent is None else Facts(
                base=parent.base, entrypoint=parent.entrypoint, cmd=parent.cmd,
                user=parent.user, stopsignal=parent.stopsignal, set_here=set(parent.set_here))
            stages.append((name, facts))
            continue
        if not stages:
            continue
        facts = stages[-1][1]
        if kw in ("ENTRYPOINT", "CMD"):
            form = ins.exec_form
            value: list[str] | dict[str, str] = (
                form if form is not None else {"shell": ins.args.strip()})
            if kw == "ENTRYPOINT":
                facts.entrypoint = value
                facts.set_here.add("entrypoint")
                if "cmd" not in facts.in_stage:
                    facts.cmd = None  # a new ENTRYPOINT resets the inherited CMD
                    facts.set_here.add("cmd")
            else:
                facts.cmd = value
                facts.set_here.add("cmd")
                facts.in_stage.add("cmd")
        elif kw in ("COPY", "ADD"):
            flags, rest = ins.flags_and_rest()
            words = ins.exec_form or split_words(rest)
            if "from" in flags or len(words) < 2:
                continue
            dest = words[-1]
            for src in words[:-1]:
                path = dest + posixpath.basename(src) if dest.endswith("/") else dest
                facts.copies[path] = src
        elif kw == "USER":
            facts.user = ins.args.strip()
            facts.set_here.add("user")
        elif kw == "STOPSIGNAL":
            facts.stopsignal = ins.args.strip()
            facts.set_here.add("stopsignal")
    return stages[-1][1] if stages else None


def entrypoint_execs(mirror: Path, repo: str, commit: str, directory: str, facts: Facts
                     ) -> bool | None:
    """Whether the ENTRYPOINT script the Dockerfile copies in ends by running its arguments
    (``exec "$@"``); None when the Dockerfile sets no script ENTRYPOINT of its own."""
    ep = facts.entrypoint
    if "entrypoint" not in facts.set_here or not isinstance(ep, list) or not ep:
        return None
    target = ep[0]
    src = facts.copies.get(target) or next(
        (v for k, v in facts.copies.items() if posixpath.basename(k) == target), None)
    if src is None:
        return None
    text = git_show(mirror, repo, commit, posixpath.normpath(f"{directory}/{src}"))
    if text is None:
        return None
    return re.search(r'^\s*exec\s+(?:\S+\s+)*"\$(?:@|\{@\})"', text, re.M) is not None


def split_ref(ref: str) -> tuple[str, str]:
    ref = ref.split("@", 1)[0]
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    return name.removeprefix("docker.io/").removeprefix("library/"), tag or "latest"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, default=OUT)
    opts = ap.parse_args(argv)
    oi = "docker-library/official-images"
    oi_commit = subprocess.run(
        ["git", f"--git-dir={opts.mirror / 'docker-library+official-images' / 'repo'}",
         "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    raw: dict[str, dict[str, dict[str, Any]]] = {}
    missing: list[str] = []
    for image in IMAGES:
        text = git_show(opts.mirror, oi, oi_commit, f"library/{image}")
        if text is None:
            missing.append(f"{oi}:library/{image}")
            continue
        _, entries = library_entries(text)
        tags: dict[str, dict[str, Any]] = {}
        for e in entries:
            if any(a.startswith("windows") for a in e.arches) or "windows" in e.directory:
                continue
            path = f"{e.directory.strip('/')}/{e.file}".removeprefix("./")
            found = read_pinned(opts.mirror, e.repo, e.commit, path, e.branch)
            if found is None:
                missing.append(f"{e.repo}@{e.commit[:12]}:{path}")
                continue
            dockerfile, commit = found
            facts = dockerfile_facts(dockerfile)
            if facts is None:
                continue
            execs = entrypoint_execs(opts.mirror, e.repo, commit, e.directory, facts)
            row = {"from": facts.base, "entrypoint_execs_args": execs,
                   "entrypoint": facts.entrypoint, "cmd": facts.cmd,
                   "user": facts.user, "stopsignal": facts.stopsignal,
                   "set": sorted(facts.set_here),
                   "source": f"{e.repo}@{commit}:{path}"}
            for tag in e.tags:
                tags[tag] = row
        raw[image] = tags
    # Follow FROM through other official images: what a Dockerfile does not set, its base has.
    resolved = {img: {tag: resolve(raw, img, tag) for tag in tags} for img, tags in raw.items()}
    for tags in resolved.values():
        share_entrypoint_reading(tags)
    images: dict[str, Any] = {}
    for img, tags in resolved.items():
        groups: dict[str, dict[str, Any]] = {}
        for tag, row in tags.items():
            key = json.dumps(row, sort_keys=True)
            groups.setdefault(key, {**row, "tags": []})["tags"].append(tag)
        images[img] = sorted(groups.values(), key=lambda g: g["sources"][0])
    doc = {
        "comment": "Generated by bench/base_images.py: do not edit; re-run it. Facts of the "
                   "official images' Linux tags, read from the Dockerfile at `source` "
                   "(repo@commit:path); `os` is the FROM chain's operating-system image; a "
                   "fact is null when no Dockerfile in the chain sets it.",
        "official_images": f"{oi}@{oi_commit}",
        "images": images,
    }
    opts.out.parent.mkdir(parents=True, exist_ok=True)
    opts.out.write_text(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n")
    print(f"wrote {opts.out}: {sum(len(v) for v in raw.values())} tags of {len(raw)} images",
          file=sys.stderr)
    for m in missing:
        print(f"not read: {m}", file=sys.stderr)
    return 0


def share_entrypoint_reading(tags: dict[str, dict[str, Any]]) -> None:
    """A tag whose entrypoint script is copied from another stage or image (maven's
    ``COPY --from=maven_upstream /usr/local/bin/mvn-entrypoint.sh``) was not read; when the
    tags of the same image that copy it from their build context all agree, that is it."""
    seen: dict[str, set[bool]] = {}
    for row in tags.values():
        if row["entrypoint_execs_args"] is not None:
            seen.setdefault(json.dumps(row["entrypoint"]), set()).add(
                row["entrypoint_execs_args"])
    for row in tags.values():
        found = seen.get(json.dumps(row["entrypoint"]))
        if row["entrypoint_execs_args"] is None and found is not None and len(found) == 1:
            row["entrypoint_execs_args"] = next(iter(found))
            row["sources"] = [*row["sources"], "entrypoint script: read in the other tags "
                              "of this image that copy it from their build context"]


def resolve(raw: dict[str, dict[str, dict[str, Any]]], image: str, tag: str,
            depth: int = 0) -> dict[str, Any]:
    row = raw[image][tag]
    keys = ("entrypoint", "cmd", "user", "stopsignal", "entrypoint_execs_args")
    out = {k: row[k] for k in keys}
    base_name, base_tag = split_ref(row["from"])
    sources = [row["source"]]
    listed = base_tag_in(raw[base_name], base_tag) if base_name in raw else None
    if listed is not None and depth < 8:
        parent = resolve(raw, base_name, listed, depth + 1)
        for k in keys:
            if k.split("_")[0] not in row["set"]:
                out[k] = parent[k]
        if "cmd" not in row["set"] and "entrypoint" in row["set"]:
            out["cmd"] = None
        os_ref = parent["os"]
        sources += parent["sources"]
    else:
        os_ref = f"{base_name}:{base_tag}"
        if not is_os_image(base_name):
            for k in ("entrypoint", "cmd", "user", "stopsignal"):
                if k not in row["set"]:
                    out[k] = "unknown"
    return {**out, "os": os_ref, "sources": sources}


if __name__ == "__main__":
    sys.exit(main())
