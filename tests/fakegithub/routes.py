"""The fake's handlers for the operations the bot itself calls (checks, pulls, tarballs, auth).

They keep GitHub's behaviour where the bot depends on it: annotations are appended across
check-run updates and capped at 50 a request, output texts at 65535 characters, and a review
whose comment sits outside the diff hunks is rejected whole with 422.
"""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .state import CheckRun, FakeRepo, IssueComment, Review, ReviewComment, next_id

if TYPE_CHECKING:
    from .server import FakeGitHub, FakeRequest

MAX_TEXT = 65535
_HUNK = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _err(status: int, message: str) -> web.Response:
    return web.json_response({"message": message, "documentation_url": "https://docs.github.com/rest"}, status=status)


def user(login: str, kind: str | None = None) -> dict[str, Any]:
    kind = kind or ("Bot" if login.endswith("[bot]") else "User")
    return {"login": login, "id": abs(hash(login)) % 10**7, "type": kind, "site_admin": False}


def paginate(fake: FakeGitHub, req: FakeRequest, items: list[Any]) -> web.Response:
    per_page = int(req.query.get("per_page", 30))
    page = int(req.query.get("page", 1))
    chunk = items[(page - 1) * per_page : page * per_page]
    headers = {}
    if page * per_page < len(items):
        query = dict(req.query, page=str(page + 1), per_page=str(per_page))
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        headers["Link"] = f'<{fake.url}{req.http.raw_path.split("?")[0]}?{qs}>; rel="next"'
    return web.json_response(chunk, headers=headers)


def hunk_lines(patch: str) -> set[int]:
    """Right-side line numbers inside the hunks of a GitHub `patch` (where comments may go)."""
    lines: set[int] = set()
    right = 0
    for text in patch.split("\n"):
        m = _HUNK.match(text)
        if m:
            right = int(m.group(1))
            continue
        if text.startswith("-") or text.startswith("\\"):
            continue
        if right:
            lines.add(right)
            right += 1
    return lines


def repo_json(fake: FakeGitHub, repo: FakeRepo) -> dict[str, Any]:
    return {
        "id": repo.id, "node_id": f"R_{repo.id}", "name": repo.name, "full_name": repo.full_name,
        "private": False, "owner": user(repo.owner, "Organization"), "default_branch": repo.default_branch,
        "url": f"{fake.url}/repos/{repo.full_name}", "html_url": f"https://github.com/{repo.full_name}",
    }


def pull_json(fake: FakeGitHub, repo: FakeRepo, number: int) -> dict[str, Any]:
    p = repo.pulls[number]
    rj = repo_json(fake, repo)
    return {
        "id": number + 10_000, "number": number, "state": p.state, "draft": p.draft, "title": p.title,
        "user": user(p.user), "html_url": f"https://github.com/{repo.full_name}/pull/{number}",
        "head": {"sha": p.head_sha, "ref": p.head_ref, "label": f"{repo.owner}:{p.head_ref}", "repo": rj},
        "base": {"sha": p.base_sha, "ref": p.base_ref, "label": f"{repo.owner}:{p.base_ref}", "repo": rj},
        "merged": False, "mergeable": True,
    }


def check_run_json(fake: FakeGitHub, run: CheckRun) -> dict[str, Any]:
    return {
        "id": run.id, "name": run.name, "head_sha": run.head_sha, "status": run.status,
        "conclusion": run.conclusion, "external_id": run.external_id, "details_url": run.details_url,
        "started_at": run.started_at, "completed_at": run.completed_at,
        "output": {
            "title": run.output.get("title"), "summary": run.output.get("summary"), "text": run.output.get("text"),
            "annotations_count": len(run.annotations), "annotations_url": "",
        },
        "app": {"id": fake.app_id, "slug": "asyncguard"},
        "url": f"{fake.url}/repos/{run.repo}/check-runs/{run.id}",
        "html_url": f"https://github.com/{run.repo}/runs/{run.id}",
        "pull_requests": [],
    }


def review_comment_json(fake: FakeGitHub, c: ReviewComment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": c.id, "pull_request_review_id": c.review_id, "path": c.path, "line": c.line,
        "start_line": c.start_line, "side": c.side, "body": c.body, "user": user(c.user, c.user_type),
        "commit_id": c.commit_id, "original_commit_id": c.commit_id,
        "url": f"{fake.url}/repos/{c.repo}/pulls/comments/{c.id}",
        "html_url": f"https://github.com/{c.repo}/pull/{c.pull}#discussion_r{c.id}",
    }
    if c.in_reply_to_id:
        out["in_reply_to_id"] = c.in_reply_to_id
    from .monitoring_routes import reactions_rollup

    out["reactions"] = reactions_rollup(fake, c.id, out["url"])
    return out


def issue_comment_json(fake: FakeGitHub, c: IssueComment) -> dict[str, Any]:
    return {
        "id": c.id, "body": c.body, "user": user(c.user, c.user_type),
        "url": f"{fake.url}/repos/{c.repo}/issues/comments/{c.id}",
        "html_url": f"https://github.com/{c.repo}/pull/{c.issue}#issuecomment-{c.id}",
    }


def _repo(fake: FakeGitHub, req: FakeRequest) -> FakeRepo:
    return fake.repos[req.full_name]


def _pull_or_404(fake: FakeGitHub, req: FakeRequest, key: str = "pull_number") -> int | web.Response:
    number = int(req.params[key])
    if number not in _repo(fake, req).pulls:
        return _err(404, "Not Found")
    return number


# ---- apps -----------------------------------------------------------------------------
async def create_installation_token(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    installation = int(req.params["installation_id"])
    if installation not in {r.installation_id for r in fake.repos.values()}:
        return _err(404, "Not Found")
    token, expires = fake.issue_token(installation)
    return web.json_response(
        {"token": token, "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
         "permissions": {"checks": "write", "pull_requests": "write", "contents": "read"},
         "repository_selection": "all"},
        status=201,
    )


async def get_repo_installation(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    return web.json_response({"id": repo.installation_id, "app_id": fake.app_id, "account": user(repo.owner)})


async def get_authenticated(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    return web.json_response({"id": fake.app_id, "slug": "asyncguard", "name": "asyncguard", "owner": user("octo-org")})


# ---- repos ------------------------------------------------------------------------------
async def get_repo(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    return web.json_response(repo_json(fake, _repo(fake, req)))


def _resolve(repo: FakeRepo, ref: str) -> str | None:
    try:
        return repo.git.resolve(ref)
    except RuntimeError:
        return None


async def download_tarball(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    sha = _resolve(repo, req.params["ref"])
    if sha is None:
        return _err(404, "Not Found")
    location = f"{fake.url}/_codeload/{repo.full_name}/legacy.tar.gz/{sha}"
    return web.Response(status=302, headers={"Location": location})


async def codeload(fake: FakeGitHub, request: web.Request) -> web.StreamResponse:
    parts = request.path.split("/")  # /_codeload/owner/repo/legacy.tar.gz/sha
    if len(parts) != 6:
        return _err(404, "Not Found")
    repo = fake.repos.get(f"{parts[2]}/{parts[3]}")
    if repo is None:
        return _err(404, "Not Found")
    sha = parts[5]
    data = fake.tarball_overrides.get(sha)
    if data is None:
        data = repo.git.archive(sha, f"{repo.owner}-{repo.name}-{sha[:7]}")
    return web.Response(body=data, content_type="application/x-gzip",
                        headers={"Content-Disposition": f"attachment; filename={repo.name}-{sha[:7]}.tar.gz"})


async def get_content(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    sha = _resolve(repo, req.query.get("ref", repo.default_branch))
    path = req.params["path"]
    data = repo.git.show(sha, path) if sha else None
    if data is None:
        return _err(404, "Not Found")
    return web.json_response({
        "type": "file", "encoding": "base64", "size": len(data), "name": path.rsplit("/", 1)[-1], "path": path,
        "content": base64.b64encode(data).decode(), "sha": "0" * 40, "url": "", "git_url": None,
        "html_url": None, "download_url": None, "_links": {"self": "", "git": None, "html": None},
    })


async def create_commit_status(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    body = req.json()
    fake.extra.setdefault("statuses", []).append({"repo": req.full_name, "sha": req.params["sha"], **body})
    return web.json_response({"id": next_id(), "state": body["state"], "context": body.get("context", "default")}, status=201)


async def list_pulls_for_commit(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    sha = req.params["commit_sha"]
    pulls = [pull_json(fake, repo, n) for n, p in repo.pulls.items() if p.head_sha == sha and p.state == "open"]
    return paginate(fake, req, pulls)


async def compare_commits(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    base, _, head = req.params["basehead"].partition("...")
    b, h = _resolve(repo, base), _resolve(repo, head)
    if not b or not h:
        return _err(404, "Not Found")
    return web.json_response({"status": "ahead", "files": repo.git.pull_files(b, h), "commits": []})


# ---- pulls ------------------------------------------------------------------------------
async def get_pull(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = _pull_or_404(fake, req)
    if isinstance(number, web.Response):
        return number
    return web.json_response(pull_json(fake, _repo(fake, req), number))


async def list_pulls(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    state = req.query.get("state", "open")
    pulls = [pull_json(fake, repo, n) for n, p in sorted(repo.pulls.items()) if state == "all" or p.state == state]
    return paginate(fake, req, pulls)


async def list_pull_files(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = _pull_or_404(fake, req)
    if isinstance(number, web.Response):
        return number
    repo = _repo(fake, req)
    p = repo.pulls[number]
    return paginate(fake, req, repo.git.pull_files(p.base_sha, p.head_sha))


async def list_pull_commits(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = _pull_or_404(fake, req)
    if isinstance(number, web.Response):
        return number
    p = _repo(fake, req).pulls[number]
    return paginate(fake, req, [{"sha": p.head_sha, "commit": {"message": "head"}}])


def _validate_review_comment(repo: FakeRepo, commit_id: str, base_sha: str, c: dict[str, Any]) -> str | None:
    if "position" in c:
        return None
    line = c.get("line")
    if line is None:
        return "line is required"
    patches = {f["filename"]: f.get("patch") for f in repo.git.pull_files(base_sha, commit_id)}
    patch = patches.get(c["path"])
    if not patch:
        return f"Path {c['path']} is not part of the diff"
    allowed = hunk_lines(patch)
    wanted = range(int(c.get("start_line") or line), int(line) + 1)
    if c.get("side", "RIGHT") != "RIGHT" or not all(n in allowed for n in wanted):
        return "pull_request_review_thread.line must be part of the diff"
    return None


async def create_review(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = _pull_or_404(fake, req)
    if isinstance(number, web.Response):
        return number
    repo = _repo(fake, req)
    pull = repo.pulls[number]
    body = req.json()
    commit = body.get("commit_id") or pull.head_sha
    event = body.get("event", "PENDING")
    if event in {"COMMENT", "REQUEST_CHANGES"} and not body.get("body") and not body.get("comments"):
        return _err(422, "Unprocessable Entity: body is required")
    for c in body.get("comments", []):
        problem = _validate_review_comment(repo, commit, pull.base_sha, c)
        if problem:
            return web.json_response({"message": "Unprocessable Entity", "errors": [problem]}, status=422)
    review = Review(next_id(), repo.full_name, number, body.get("body", ""), event, req.actor, commit)
    for c in body.get("comments", []):
        rc = ReviewComment(
            id=next_id(), repo=repo.full_name, pull=number, review_id=review.id, path=c["path"],
            line=c.get("line"), start_line=c.get("start_line"), side=c.get("side", "RIGHT"), body=c["body"],
            user=req.actor, user_type="Bot", commit_id=commit,
        )
        fake.review_comments[rc.id] = rc
        review.comment_ids.append(rc.id)
    fake.reviews[review.id] = review
    return web.json_response({"id": review.id, "body": review.body, "state": "COMMENTED" if event == "COMMENT" else event,
                              "user": user(req.actor), "commit_id": commit}, status=200)


async def list_reviews(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = int(req.params["pull_number"])
    items = [{"id": r.id, "body": r.body, "state": r.event, "user": user(r.user), "commit_id": r.commit_id}
             for r in fake.reviews.values() if r.repo == req.full_name and r.pull == number]
    return paginate(fake, req, items)


async def list_review_comments(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = int(req.params["pull_number"])
    items = [review_comment_json(fake, c) for c in sorted(fake.review_comments.values(), key=lambda c: c.id)
             if c.repo == req.full_name and c.pull == number]
    return paginate(fake, req, items)


async def create_review_comment(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = _pull_or_404(fake, req)
    if isinstance(number, web.Response):
        return number
    body = req.json()
    if "in_reply_to" in body:
        parent = fake.review_comments.get(int(body["in_reply_to"]))
        if parent is None:
            return _err(404, "Not Found")
        c = fake.add_review_comment(req.full_name, number, body=body["body"], user=req.actor, in_reply_to=parent.id)
        c.user_type = "Bot"
        return web.json_response(review_comment_json(fake, c), status=201)
    repo = _repo(fake, req)
    problem = _validate_review_comment(repo, body["commit_id"], repo.pulls[number].base_sha, body)
    if problem:
        return web.json_response({"message": "Unprocessable Entity", "errors": [problem]}, status=422)
    c = ReviewComment(next_id(), req.full_name, number, None, body["path"], body.get("line"), body.get("start_line"),
                      body.get("side", "RIGHT"), body["body"], req.actor, "Bot", body["commit_id"])
    fake.review_comments[c.id] = c
    return web.json_response(review_comment_json(fake, c), status=201)


async def update_review_comment(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    c = fake.review_comments.get(int(req.params["comment_id"]))
    if c is None or c.repo != req.full_name:
        return _err(404, "Not Found")
    c.body = req.json()["body"]
    return web.json_response(review_comment_json(fake, c))


async def delete_review_comment(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    c = fake.review_comments.get(int(req.params["comment_id"]))
    if c is None or c.repo != req.full_name:
        return _err(404, "Not Found")
    del fake.review_comments[c.id]
    return web.Response(status=204)


# ---- issues -----------------------------------------------------------------------------
async def get_issue(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    number = int(req.params["issue_number"])
    if number not in repo.pulls:
        return _err(404, "Not Found")
    p = repo.pulls[number]
    return web.json_response({"id": number, "number": number, "state": p.state, "title": p.title, "user": user(p.user),
                              "labels": fake.extra.get("labels", {}).get((repo.full_name, number), []),
                              "pull_request": {"url": f"{fake.url}/repos/{repo.full_name}/pulls/{number}"}})


async def create_issue_comment(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    c = IssueComment(next_id(), req.full_name, int(req.params["issue_number"]), req.json()["body"], req.actor,
                     "Bot" if req.actor.endswith("[bot]") else "User")
    fake.issue_comments[c.id] = c
    return web.json_response(issue_comment_json(fake, c), status=201)


async def list_issue_comments(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    number = int(req.params["issue_number"])
    items = [issue_comment_json(fake, c) for c in sorted(fake.issue_comments.values(), key=lambda c: c.id)
             if c.repo == req.full_name and c.issue == number]
    return paginate(fake, req, items)


async def update_issue_comment(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    c = fake.issue_comments.get(int(req.params["comment_id"]))
    if c is None or c.repo != req.full_name:
        return _err(404, "Not Found")
    c.body = req.json()["body"]
    return web.json_response(issue_comment_json(fake, c))


async def delete_issue_comment(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    c = fake.issue_comments.pop(int(req.params["comment_id"]), None)
    return web.Response(status=204) if c else _err(404, "Not Found")


# ---- checks -----------------------------------------------------------------------------
def _apply_output(run: CheckRun, output: dict[str, Any] | None) -> str | None:
    if not output:
        return None
    for key in ("title", "summary", "text"):
        if key in output and output[key] is not None and len(output[key]) > MAX_TEXT:
            return f"output.{key} is too long (maximum is {MAX_TEXT} characters)"
    annotations = output.get("annotations") or []
    if len(annotations) > 50:
        return "output.annotations: at most 50 annotations per request"
    for a in annotations:
        if ("start_column" in a or "end_column" in a) and a["start_line"] != a["end_line"]:
            return "annotations: start_column and end_column require start_line == end_line"
    run.output.update({k: v for k, v in output.items() if k != "annotations"})
    run.annotations.extend(annotations)
    return None


async def create_check_run(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    body = req.json()
    run = CheckRun(next_id(), req.full_name, body["name"], body["head_sha"], body.get("status", "queued"),
                   body.get("conclusion"), {}, external_id=body.get("external_id"),
                   details_url=body.get("details_url"), started_at=body.get("started_at") or _now())
    if body.get("conclusion"):
        run.status = "completed"
        run.completed_at = body.get("completed_at") or _now()
    problem = _apply_output(run, body.get("output"))
    if problem:
        return _err(422, problem)
    run.history.append(body)
    fake.check_runs[run.id] = run
    return web.json_response(check_run_json(fake, run), status=201)


async def update_check_run(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    run = fake.check_runs.get(int(req.params["check_run_id"]))
    if run is None or run.repo != req.full_name:
        return _err(404, "Not Found")
    body = req.json()
    problem = _apply_output(run, body.get("output"))
    if problem:
        return _err(422, problem)
    run.history.append(body)
    if "status" in body:
        run.status = body["status"]
    if body.get("conclusion"):
        run.conclusion = body["conclusion"]
        run.status = "completed"
        run.completed_at = body.get("completed_at") or _now()
    return web.json_response(check_run_json(fake, run))


async def list_check_runs_for_ref(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    repo = _repo(fake, req)
    sha = _resolve(repo, req.params["ref"])
    runs = [check_run_json(fake, r) for r in fake.check_runs.values()
            if r.repo == repo.full_name and r.head_sha == sha
            and ("check_name" not in req.query or r.name == req.query["check_name"])]
    per_page = int(req.query.get("per_page", 30))
    page = int(req.query.get("page", 1))
    return web.json_response({"total_count": len(runs), "check_runs": runs[(page - 1) * per_page : page * per_page]})


async def list_check_runs_for_suite(fake: FakeGitHub, req: FakeRequest) -> web.Response:
    return web.json_response({"total_count": 0, "check_runs": []})


def register_core(fake: FakeGitHub) -> None:
    table = {
        "apps/create-installation-access-token": create_installation_token,
        "apps/get-repo-installation": get_repo_installation,
        "apps/get-authenticated": get_authenticated,
        "repos/get": get_repo,
        "repos/download-tarball-archive": download_tarball,
        "repos/get-content": get_content,
        "repos/create-commit-status": create_commit_status,
        "repos/list-pull-requests-associated-with-commit": list_pulls_for_commit,
        "repos/compare-commits": compare_commits,
        "pulls/get": get_pull,
        "pulls/list": list_pulls,
        "pulls/list-files": list_pull_files,
        "pulls/list-commits": list_pull_commits,
        "pulls/create-review": create_review,
        "pulls/list-reviews": list_reviews,
        "pulls/list-review-comments": list_review_comments,
        "pulls/create-review-comment": create_review_comment,
        "pulls/update-review-comment": update_review_comment,
        "pulls/delete-review-comment": delete_review_comment,
        "issues/get": get_issue,
        "issues/create-comment": create_issue_comment,
        "issues/list-comments": list_issue_comments,
        "issues/update-comment": update_issue_comment,
        "issues/delete-comment": delete_issue_comment,
        "checks/create": create_check_run,
        "checks/update": update_check_run,
        "checks/list-for-ref": list_check_runs_for_ref,
        "checks/list-for-suite": list_check_runs_for_suite,
    }
    for op, handler in table.items():
        fake.register(op, handler)
