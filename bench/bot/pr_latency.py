"""Webhook -> completed `asyncguard` check run on a generated 1,000-file repository.

Cold: empty data dir (tarballs downloaded, nothing indexed). Warm: a second PR on the same base
(base snapshot and index cache reused), and a re-run of the same head. Also the bot's peak RSS.
Targets: cold < 5 s, warm < 1.5 s. Run: .venv/bin/python bench/bot/pr_latency.py
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import jwt

sys.path.insert(0, str(Path(__file__).parent))
from common import Fake, headers, peak_rss_tree_mb, pr_delivery, start_bot, start_fake, stop


def token(fake: Fake) -> str:
    now = int(time.time())
    app_jwt = jwt.encode({"iat": now - 60, "exp": now + 500, "iss": str(fake.info["app_id"])},
                         Path(fake.info["key"]).read_text(), "RS256")
    req = urllib.request.Request(f"{fake.info['url']}/app/installations/{fake.info['installation']}/access_tokens",
                                 method="POST", headers={"Authorization": f"Bearer {app_jwt}"})
    with urllib.request.urlopen(req) as r:
        return str(json.load(r)["token"])


def completed_runs(fake: Fake, tok: str, sha: str) -> list[dict[str, object]]:
    url = f"{fake.info['url']}/repos/{fake.info['repo']}/commits/{sha}/check-runs?check_name=asyncguard"
    req = urllib.request.Request(url, headers={"Authorization": f"token {tok}"})
    with urllib.request.urlopen(req) as r:
        return [c for c in json.load(r)["check_runs"] if c["status"] == "completed"]


def timed_run(fake: Fake, url: str, tok: str, number: int, action: str) -> tuple[float, str]:
    sha = fake.info["pulls"][str(number)]
    before = len(completed_runs(fake, tok, sha))
    body = pr_delivery(fake, number, action)
    t = time.perf_counter()
    req = urllib.request.Request(f"{url}/webhook", data=body, method="POST",
                                 headers=headers(body, "pull_request", str(uuid.uuid4())))
    with urllib.request.urlopen(req) as r:
        assert r.status == 202
    while time.perf_counter() - t < 120:
        runs = completed_runs(fake, tok, sha)
        if len(runs) > before:
            return time.perf_counter() - t, str(runs[-1]["conclusion"])
        time.sleep(0.02)
    raise TimeoutError(f"no completed check run for PR {number} within 120 s")


def main() -> None:
    fake = start_fake(files=1000, pulls=2)
    data = Path(tempfile.mkdtemp(prefix="asyncguard-prbench-")) / "data"
    data.mkdir()
    # debounce 0: the figure is the run itself (production default waits 1 s to collapse bursts)
    bot, url = start_bot(fake, data, ASYNCGUARD_DEBOUNCE_SECONDS="0")
    try:
        tok = token(fake)
        cold, c1 = timed_run(fake, url, tok, 1, "opened")
        warm, c2 = timed_run(fake, url, tok, 2, "opened")
        rerun, c3 = timed_run(fake, url, tok, 1, "reopened")
        rss = peak_rss_tree_mb(bot.pid)
        print(f"1,000-file repo, webhook -> completed check run: cold {cold:.2f} s ({c1}), "
              f"warm (new PR, same base) {warm:.2f} s ({c2}), warm (same head again) {rerun:.2f} s ({c3}); "
              f"peak RSS: web process {rss[bot.pid]:.0f} MB, other processes under it "
              f"{', '.join(f'{v:.0f}' for k, v in rss.items() if k != bot.pid)} MB")
    finally:
        stop(bot, fake)


if __name__ == "__main__":
    main()
