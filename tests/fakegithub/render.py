"""JSON shapes of the fake's objects, as GitHub's REST API returns them.

Every shape carries the fields GitHub's schema marks required, so the
responses validate against `rest/operations.json`. `api` is the fake's own
base URL: API links point back at the fake, HTML links at github.com.
"""

from __future__ import annotations

import base64
import difflib
from typing import Any

from .state import (
    HTML,
    REACTIONS,
    CheckRun,
    Comment,
    Commit,
    GitHubState,
    Installation,
    Issue,
    Label,
    Reaction,
    Repo,
    ancestors,
    iso,
    node_id,
    not_found,
    stable_id,
    subtree_sha,
)


def user(api: str, login: str, type: str = "User", **extra: Any) -> dict[str, Any]:
    if login.endswith("[bot]"):
        type = "Bot"
    uid = stable_id(login)
    u = f"{api}/users/{login}"
    return {
        "login": login,
        "id": uid,
        "node_id": node_id("U", uid),
        "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
        "gravatar_id": "",
        "url": u,
        "html_url": f"{HTML}/{login}",
        "followers_url": f"{u}/followers",
        "following_url": f"{u}/following{{/other_user}}",
        "gists_url": f"{u}/gists{{/gist_id}}",
        "starred_url": f"{u}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{u}/subscriptions",
        "organizations_url": f"{u}/orgs",
        "repos_url": f"{u}/repos",
        "events_url": f"{u}/events{{/privacy}}",
        "received_events_url": f"{u}/received_events",
        "type": type,
        "user_view_type": "public",
        "site_admin": False,
        **extra,
    }


def repo(api: str, r: Repo, *, full: bool = True) -> dict[str, Any]:
    base = f"{api}/repos/{r.full_name}"
    open_issues = sum(1 for i in r.issues.values() if i.state == "open")
    created = iso(r.created_at)
    out: dict[str, Any] = {
        "id": r.id,
        "node_id": node_id("R", r.id),
        "name": r.name,
        "full_name": r.full_name,
        "owner": user(api, r.owner, r.owner_type),
        "private": r.private,
        "visibility": "private" if r.private else "public",
        "html_url": r.html_url,
        "description": r.description,
        "fork": False,
        "url": base,
        "archive_url": f"{base}/{{archive_format}}{{/ref}}",
        "assignees_url": f"{base}/assignees{{/user}}",
        "blobs_url": f"{base}/git/blobs{{/sha}}",
        "branches_url": f"{base}/branches{{/branch}}",
        "collaborators_url": f"{base}/collaborators{{/collaborator}}",
        "comments_url": f"{base}/comments{{/number}}",
        "commits_url": f"{base}/commits{{/sha}}",
        "compare_url": f"{base}/compare/{{base}}...{{head}}",
        "contents_url": f"{base}/contents/{{+path}}",
        "contributors_url": f"{base}/contributors",
        "deployments_url": f"{base}/deployments",
        "downloads_url": f"{base}/downloads",
        "events_url": f"{base}/events",
        "forks_url": f"{base}/forks",
        "git_commits_url": f"{base}/git/commits{{/sha}}",
        "git_refs_url": f"{base}/git/refs{{/sha}}",
        "git_tags_url": f"{base}/git/tags{{/sha}}",
        "git_url": f"git://github.com/{r.full_name}.git",
        "issue_comment_url": f"{base}/issues/comments{{/number}}",
        "issue_events_url": f"{base}/issues/events{{/number}}",
        "issues_url": f"{base}/issues{{/number}}",
        "keys_url": f"{base}/keys{{/key_id}}",
        "labels_url": f"{base}/labels{{/name}}",
        "languages_url": f"{base}/languages",
        "merges_url": f"{base}/merges",
        "milestones_url": f"{base}/milestones{{/number}}",
        "notifications_url": f"{base}/notifications{{?since,all,participating}}",
        "pulls_url": f"{base}/pulls{{/number}}",
        "releases_url": f"{base}/releases{{/id}}",
        "ssh_url": f"git@github.com:{r.full_name}.git",
        "stargazers_url": f"{base}/stargazers",
        "statuses_url": f"{base}/statuses/{{sha}}",
        "subscribers_url": f"{base}/subscribers",
        "subscription_url": f"{base}/subscription",
        "tags_url": f"{base}/tags",
        "teams_url": f"{base}/teams",
        "trees_url": f"{base}/git/trees{{/sha}}",
        "clone_url": f"{HTML}/{r.full_name}.git",
        "mirror_url": None,
        "hooks_url": f"{base}/hooks",
        "svn_url": r.html_url,
        "homepage": None,
        "language": None,
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 0,
        "default_branch": r.default_branch,
        "open_issues_count": open_issues,
        "open_issues": open_issues,
        "is_template": False,
        "topics": [],
        "has_issues": True,
        "has_projects": True,
        "has_wiki": True,
        "has_pages": False,
        "has_downloads": True,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "license": None,
        "pushed_at": iso(r.pushed_at or r.created_at),
        "created_at": created,
        "updated_at": iso(r.pushed_at or r.created_at),
        "allow_forking": True,
        "web_commit_signoff_required": False,
    }
    if full:
        out["network_count"] = 0
        out["subscribers_count"] = 0
    return out


def label(api: str, r: Repo, lab: Label) -> dict[str, Any]:
    from urllib.parse import quote

    return {
        "id": lab.id,
        "node_id": node_id("LA", lab.id),
        "url": f"{api}/repos/{r.full_name}/labels/{quote(lab.name)}",
        "name": lab.name,
        "description": lab.description,
        "color": lab.color,
        "default": lab.default,
    }


def reactions_rollup(api: str, url: str, reactions: list[Reaction]) -> dict[str, Any]:
    counts = {k: sum(1 for x in reactions if x.content == k) for k in REACTIONS}
    return {"url": f"{url}/reactions", "total_count": len(reactions), **counts}


def issue(api: str, state: GitHubState, i: Issue) -> dict[str, Any]:
    r = state.repo(i.repo)
    base = f"{api}/repos/{r.full_name}"
    url = f"{base}/issues/{i.number}"
    kind = "pull" if i.pull_request else "issues"
    labels = [label(api, r, r.labels[n.lower()]) for n in i.labels if n.lower() in r.labels]
    assignees = [user(api, a) for a in i.assignees]
    subs = [state.issues_by_id[s] for s in i.sub_issue_ids if s in state.issues_by_id]
    done = sum(1 for s in subs if s.state == "closed")
    out: dict[str, Any] = {
        "id": i.id,
        "node_id": node_id("I", i.id),
        "url": url,
        "repository_url": base,
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{r.html_url}/{kind}/{i.number}",
        "number": i.number,
        "state": i.state,
        "state_reason": i.state_reason,
        "title": i.title,
        "body": i.body,
        "user": user(api, i.user, i.user_type),
        "labels": labels,
        "assignee": assignees[0] if assignees else None,
        "assignees": assignees,
        "milestone": None,
        "locked": i.locked,
        "active_lock_reason": None,
        "comments": len(i.comment_ids),
        "closed_at": iso(i.closed_at) if i.closed_at else None,
        "created_at": iso(i.created_at),
        "updated_at": iso(i.updated_at),
        "closed_by": user(api, i.closed_by) if i.closed_by else None,
        "author_association": association(r, i.user),
        "reactions": reactions_rollup(api, url, i.reactions),
        "timeline_url": f"{url}/timeline",
        "parent_issue_url": parent_url(api, state, i),
        "sub_issues_summary": {
            "total": len(subs),
            "completed": done,
            "percent_completed": int(100 * done / len(subs)) if subs else 0,
        },
    }
    if i.pull_request:
        out["draft"] = i.draft
        out["pull_request"] = {
            "url": f"{base}/pulls/{i.number}",
            "html_url": f"{r.html_url}/pull/{i.number}",
            "diff_url": f"{r.html_url}/pull/{i.number}.diff",
            "patch_url": f"{r.html_url}/pull/{i.number}.patch",
            "merged_at": iso(i.merged_at) if i.merged_at else None,
        }
    return out


def parent_url(api: str, state: GitHubState, i: Issue) -> str | None:
    parent = state.issues_by_id.get(i.parent_id) if i.parent_id is not None else None
    if parent is None:
        return None
    return f"{api}/repos/{state.repo(parent.repo).full_name}/issues/{parent.number}"


def association(r: Repo, login: str) -> str:
    if login.lower() == r.owner.lower():
        return "OWNER"
    perm = r.permission_of(login)
    if perm in ("admin", "maintain", "write"):
        return "MEMBER" if r.owner_type == "Organization" else "COLLABORATOR"
    if perm:
        return "COLLABORATOR"
    return "NONE"


def comment(api: str, state: GitHubState, c: Comment) -> dict[str, Any]:
    r = state.repo(c.repo)
    i = r.issues[c.issue_number]
    url = f"{api}/repos/{r.full_name}/issues/comments/{c.id}"
    kind = "pull" if i.pull_request else "issues"
    reactions = state.comment_reactions.get(c.id, [])
    return {
        "id": c.id,
        "node_id": node_id("IC", c.id),
        "url": url,
        "html_url": f"{r.html_url}/{kind}/{c.issue_number}#issuecomment-{c.id}",
        "issue_url": f"{api}/repos/{r.full_name}/issues/{c.issue_number}",
        "body": c.body,
        "user": user(api, c.user, c.user_type),
        "created_at": iso(c.created_at),
        "updated_at": iso(c.updated_at),
        "author_association": association(r, c.user),
        "performed_via_github_app": None,
        "reactions": reactions_rollup(api, url, reactions),
    }


def reaction(api: str, x: Reaction) -> dict[str, Any]:
    return {
        "id": x.id,
        "node_id": node_id("REA", x.id),
        "user": user(api, x.user, x.user_type),
        "content": x.content,
        "created_at": iso(x.created_at),
    }


def content_file(api: str, r: Repo, c: Commit, path: str) -> dict[str, Any]:
    sha = c.tree[path]
    data = r.blobs[sha]
    encoded = base64.encodebytes(data).decode()  # GitHub wraps at 60/76 chars with newlines
    return {
        **content_entry(api, r, c, path, "file", sha, len(data)),
        "content": encoded,
        "encoding": "base64",
    }


def content_entry(api: str, r: Repo, c: Commit, path: str, kind: str, sha: str, size: int) -> dict[str, Any]:
    ref = c.sha
    self_url = f"{api}/repos/{r.full_name}/contents/{path}?ref={ref}"
    git_url = f"{api}/repos/{r.full_name}/git/{'blobs' if kind == 'file' else 'trees'}/{sha}"
    html_url = f"{r.html_url}/{'blob' if kind == 'file' else 'tree'}/{ref}/{path}"
    return {
        "type": kind,
        "size": size,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "sha": sha,
        "url": self_url,
        "git_url": git_url,
        "html_url": html_url,
        "download_url": f"https://raw.githubusercontent.com/{r.full_name}/{ref}/{path}" if kind == "file" else None,
        "_links": {"self": self_url, "git": git_url, "html": html_url},
    }


def git_person(login: str, when: str) -> dict[str, Any]:
    return {"name": login, "email": f"{login}@users.noreply.github.com", "date": when}


def commit(api: str, r: Repo, c: Commit, *, files: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    base = f"{api}/repos/{r.full_name}"
    when = iso(c.date)
    out: dict[str, Any] = {
        "sha": c.sha,
        "node_id": node_id("C", c.sha[:12]),
        "url": f"{base}/commits/{c.sha}",
        "html_url": f"{r.html_url}/commit/{c.sha}",
        "comments_url": f"{base}/commits/{c.sha}/comments",
        "commit": {
            "url": f"{base}/git/commits/{c.sha}",
            "author": git_person(c.author, when),
            "committer": git_person(c.author, when),
            "message": c.message,
            "tree": {"sha": c.tree_sha, "url": f"{base}/git/trees/{c.tree_sha}"},
            "comment_count": 0,
            "verification": {
                "verified": False,
                "reason": "unsigned",
                "signature": None,
                "payload": None,
                "verified_at": None,
            },
        },
        "author": user(api, c.author),
        "committer": user(api, c.author),
        "parents": [
            {"sha": p, "url": f"{base}/commits/{p}", "html_url": f"{r.html_url}/commit/{p}"} for p in c.parents
        ],
    }
    if files is not None:
        out["files"] = files
        out["stats"] = {
            "additions": sum(f["additions"] for f in files),
            "deletions": sum(f["deletions"] for f in files),
            "total": sum(f["changes"] for f in files),
        }
    return out


def check_run(api: str, state: GitHubState, r: Repo, cr: CheckRun) -> dict[str, Any]:
    url = f"{api}/repos/{r.full_name}/check-runs/{cr.id}"
    output = {
        "title": cr.output.get("title"),
        "summary": cr.output.get("summary"),
        "text": cr.output.get("text"),
        "annotations_count": len(cr.output.get("annotations") or []),
        "annotations_url": f"{url}/annotations",
    }
    return {
        "id": cr.id,
        "node_id": node_id("CR", cr.id),
        "head_sha": cr.head_sha,
        "external_id": cr.external_id,
        "url": url,
        "html_url": f"{r.html_url}/runs/{cr.id}",
        "details_url": cr.details_url,
        "status": cr.status,
        "conclusion": cr.conclusion,
        "started_at": iso(cr.started_at),
        "completed_at": iso(cr.completed_at) if cr.completed_at else None,
        "output": output,
        "name": cr.name,
        "check_suite": {"id": cr.id + 500_000},
        "app": app(api, state),
        "pull_requests": [],
    }


def app(api: str, state: GitHubState) -> dict[str, Any]:
    app_id = state.app_id or 1
    owner = next(iter(state.installations.values())).account if state.installations else "octo-org"
    return {
        "id": app_id,
        "slug": state.app_slug,
        "node_id": node_id("A", app_id),
        "client_id": state.app_client_id or f"Iv1.fake{app_id}",
        "owner": user(api, owner, "Organization"),
        "name": state.app_slug,
        "description": "actionbot under test",
        "external_url": "https://example.org/actionbot",
        "html_url": f"{HTML}/apps/{state.app_slug}",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": {"issues": "write", "contents": "read", "checks": "write", "metadata": "read"},
        "events": ["push", "issues", "issue_comment", "pull_request"],
        "installations_count": len(state.installations),
    }


def installation(api: str, state: GitHubState, inst: Installation) -> dict[str, Any]:
    return {
        "id": inst.id,
        # The spec's list-installations schema requires the account to be a user
        # AND an enterprise (allOf, a quirk of the description): satisfy both.
        "account": user(
            api,
            inst.account,
            inst.account_type,
            name=inst.account,
            slug=inst.account.lower(),
            created_at="2024-01-01T00:00:00Z",
            updated_at="2024-01-01T00:00:00Z",
        ),
        "access_tokens_url": f"{api}/app/installations/{inst.id}/access_tokens",
        "repositories_url": f"{api}/installation/repositories",
        "html_url": f"{HTML}/organizations/{inst.account}/settings/installations/{inst.id}",
        "app_id": state.app_id or 1,
        "client_id": state.app_client_id,
        "target_id": stable_id(inst.account),
        "target_type": inst.account_type,
        "permissions": inst.permissions,
        "events": ["push", "issues", "issue_comment", "pull_request"],
        "single_file_name": None,
        "has_multiple_single_files": False,
        "single_file_paths": [],
        "repository_selection": inst.repository_selection,
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "app_slug": state.app_slug,
        "suspended_at": None,
        "suspended_by": None,
    }


def file_changes(api: str, repo: Repo, old: dict[str, str], new: dict[str, str], ref: str) -> list[dict[str, Any]]:
    """GitHub's `files` of a compare or commit: added/modified/removed/renamed."""
    removed = {p: s for p, s in old.items() if p not in new}
    added = {p: s for p, s in new.items() if p not in old}
    renames = _renames(repo, added, removed)

    def text(sha: str) -> str:
        return repo.blobs[sha].decode(errors="replace")

    def entry(path: str, status: str, sha: str, before: str | None, after: str | None, **extra: Any) -> dict[str, Any]:
        return _file_entry(api, repo, ref, path, status, sha, before, after, **extra)

    out = []
    for path in sorted(set(old) | set(new)):
        if path in renames:
            prev = renames[path]
            out.append(entry(path, "renamed", new[path], text(old[prev]), text(new[path]), previous_filename=prev))
        elif path in added:
            out.append(entry(path, "added", new[path], None, text(new[path])))
        elif path in removed:
            if path in renames.values():
                continue
            out.append(entry(path, "removed", old[path], text(old[path]), None))
        elif old[path] != new[path]:
            out.append(entry(path, "modified", new[path], text(old[path]), text(new[path])))
    return out


def _renames(repo: Repo, added: dict[str, str], removed: dict[str, str]) -> dict[str, str]:
    """New path -> old path: the same blob, else the most similar removed file (over half alike)."""
    renames: dict[str, str] = {}
    for np, ns in list(added.items()):
        same = [op for op, os_ in removed.items() if os_ == ns and op not in renames.values()]
        if same:
            renames[np] = same[0]
    for np, ns in added.items():
        if np in renames:
            continue
        new_text = repo.blobs[ns].decode(errors="replace")
        best, score = None, 0.5
        for op, os_ in removed.items():
            if op in renames.values():
                continue
            ratio = difflib.SequenceMatcher(None, repo.blobs[os_].decode(errors="replace"), new_text).ratio()
            if ratio > score:
                best, score = op, ratio
        if best:
            renames[np] = best
    return renames


def _file_entry(
    api: str, repo: Repo, ref: str, path: str, status: str, sha: str, before: str | None, after: str | None, **extra: Any
) -> dict[str, Any]:
    a = before.splitlines() if before is not None else []
    b = after.splitlines() if after is not None else []
    diff = list(difflib.unified_diff(a, b, lineterm="", n=3))[2:]
    adds = sum(1 for line in diff if line.startswith("+"))
    dels = sum(1 for line in diff if line.startswith("-"))
    return {
        "sha": sha,
        "filename": path,
        "status": status,
        "additions": adds,
        "deletions": dels,
        "changes": adds + dels,
        "blob_url": f"{repo.html_url}/blob/{ref}/{path}",
        "raw_url": f"{repo.html_url}/raw/{ref}/{path}",
        "contents_url": f"{api}/repos/{repo.full_name}/contents/{path}?ref={ref}",
        "patch": "\n".join(diff),
        **extra,
    }


def commit_with_files(api: str, r: Repo, ref: str) -> dict[str, Any]:
    """`GET /repos/{o}/{r}/commits/{ref}`: the commit and what it changed against its first parent."""
    c = r.resolve(ref)
    parent = r.commits[c.parents[0]].tree if c.parents else {}
    return commit(api, r, c, files=file_changes(api, r, parent, c.tree, c.sha))


def compare(api: str, repo: Repo, basehead: str) -> dict[str, Any]:
    """`GET /repos/{o}/{r}/compare/{base}...{head}` with every commit (the server pages them)."""
    if "..." not in basehead:
        raise not_found()
    base_ref, head_ref = basehead.split("...", 1)
    base, head = repo.resolve(base_ref), repo.resolve(head_ref)
    head_anc = ancestors(repo, head.sha)
    base_anc = set(ancestors(repo, base.sha))
    merge_base = next((s for s in head_anc if s in base_anc), None)
    ahead = [s for s in head_anc if s not in base_anc]
    behind = [s for s in base_anc if s not in set(head_anc)]
    mb = repo.commits[merge_base] if merge_base else base
    status = "identical" if not ahead and not behind else "ahead" if not behind else "behind" if not ahead else "diverged"
    return {
        "url": f"{api}/repos/{repo.full_name}/compare/{basehead}",
        "html_url": f"{repo.html_url}/compare/{basehead}",
        "permalink_url": f"{repo.html_url}/compare/{repo.owner}:{base.sha[:7]}...{repo.owner}:{head.sha[:7]}",
        "diff_url": f"{repo.html_url}/compare/{basehead}.diff",
        "patch_url": f"{repo.html_url}/compare/{basehead}.patch",
        "base_commit": commit(api, repo, base),
        "merge_base_commit": commit(api, repo, mb),
        "status": status,
        "ahead_by": len(ahead),
        "behind_by": len(behind),
        "total_commits": len(ahead),
        "commits": [commit(api, repo, repo.commits[s]) for s in reversed(ahead)],
        "files": file_changes(api, repo, mb.tree, head.tree, head.sha),
    }


def tree(api: str, repo: Repo, ref: str, *, recursive: bool) -> dict[str, Any]:
    """`GET /repos/{o}/{r}/git/trees/{ref}`: `ref` a tree sha, a branch or a commit (404 otherwise)."""
    if ref in repo.trees:
        commit_sha, directory = repo.trees[ref]
        c = repo.commits[commit_sha]
    else:
        c, directory = repo.resolve(ref), ""
    prefix = f"{directory}/" if directory else ""
    base = f"{api}/repos/{repo.full_name}/git"
    entries: dict[str, dict[str, Any]] = {}
    for path, sha in sorted(c.tree.items()):
        if not path.startswith(prefix):
            continue
        rel = path[len(prefix):]
        parts = rel.split("/")
        for i in range(1, len(parts)):
            d = "/".join(parts[:i])
            if not recursive and i > 1:
                break
            tsha = subtree_sha(c.tree, prefix + d)
            entries.setdefault(d, {"path": d, "mode": "040000", "type": "tree", "sha": tsha, "url": f"{base}/trees/{tsha}"})
        if recursive or len(parts) == 1:
            size = len(repo.blobs[sha])
            entries[rel] = {"path": rel, "mode": "100644", "type": "blob", "sha": sha, "size": size, "url": f"{base}/blobs/{sha}"}
    tree_sha = subtree_sha(c.tree, directory) if directory else c.tree_sha
    return {"sha": tree_sha, "url": f"{base}/trees/{tree_sha}", "tree": [entries[k] for k in sorted(entries)], "truncated": False}


def timeline(api: str, state: GitHubState, r: Repo, i: Issue) -> list[dict[str, Any]]:
    """An issue's timeline: its events and comments in time order."""
    items: list[tuple[Any, int, dict[str, Any]]] = []
    for ev in i.timeline:
        items.append((ev["created_at"], ev["id"], _timeline_event(api, state, r, ev)))
    for cid in i.comment_ids:
        c = state.comments_by_id[cid]
        item = comment(api, state, c)
        item["event"] = "commented"
        item["actor"] = item["user"]
        items.append((c.created_at, c.id, item))
    items.sort(key=lambda t: (t[0], t[1]))
    return [item for _, _, item in items]


def _timeline_event(api: str, state: GitHubState, r: Repo, ev: dict[str, Any]) -> dict[str, Any]:
    created = iso(ev["created_at"])
    if ev["event"] == "cross-referenced":
        source = state.issues_by_id[ev["source_issue_id"]]
        src = issue(api, state, source)
        src["repository"] = repo(api, state.repo(source.repo), full=False)
        return {
            "event": "cross-referenced",
            "actor": user(api, ev["actor"]),
            "created_at": created,
            "updated_at": created,
            "source": {"type": "issue", "issue": src},
        }
    item = {
        "id": ev["id"],
        "node_id": f"E_{ev['id']}",
        "url": f"{api}/repos/{r.full_name}/issues/events/{ev['id']}",
        "actor": user(api, ev["actor"]),
        "event": ev["event"],
        "commit_id": None,
        "commit_url": None,
        "created_at": created,
        "performed_via_github_app": None,
    }
    if "label" in ev:
        item["label"] = ev["label"]
    if "state_reason" in ev:
        item["state_reason"] = ev["state_reason"]
    return item
