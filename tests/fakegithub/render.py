"""JSON shapes of the fake's objects, as GitHub's REST API returns them.

Every shape carries the fields GitHub's schema marks required, so the
responses validate against `rest/operations.json`. `api` is the fake's own
base URL: API links point back at the fake, HTML links at github.com.
"""

from __future__ import annotations

import base64
from typing import Any

from .state import (
    HTML,
    CheckRun,
    Comment,
    Commit,
    GitHubState,
    Installation,
    Issue,
    Label,
    Reaction,
    Repo,
    iso,
    node_id,
    stable_id,
)

REACTIONS = ("+1", "-1", "laugh", "confused", "heart", "hooray", "eyes", "rocket")


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
