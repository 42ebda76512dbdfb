"""Scale-out on PostgreSQL: 2 web (`serve --web-only`) + 2 `worker` processes, real HTTP, a real server.

Phases, each bounded in count and time:
  acks     N signed `pull_request.edited` deliveries (real 20 KB payloads; the handler does no GitHub
           work) from C concurrent clients over both web processes: acks/s, p50/p99; then every
           acknowledged delivery must be `done` exactly once in the store.
  runs     one `synchronize` per PR on a generated 1,000-file repository: PR runs per minute,
           first with one worker (the other stopped with SIGSTOP), then with both, on fresh PRs.
  kill     SIGKILL the worker that holds a PR run mid-run: another worker finishes it on the same
           check run; annotations counted on the fake GitHub (not posted twice).
  restart  restart PostgreSQL during a burst: every 2xx delivery processed exactly once, every
           refused one got a 5xx; the 5xx ones redelivered are then processed.
  webkill  SIGKILL a web process mid-burst: some deliveries are committed but never acknowledged;
           redelivered to the other web process they are answered "duplicate"; all exactly once.
PostgreSQL runs with its durable defaults (fsync, synchronous commit: an ack means a commit on
disk); the load generator is a minimal HTTP/1.1 client (common.fire_raw) sharing the machine.
Run: .venv/bin/python bench/bot/scale.py [--acks 3000 --clients 50 --prs 8] [--only acks] [--fast-pg]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter
from pathlib import Path

import aiohttp
import asyncpg

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parents[1] / "tests"))
import pgserver  # noqa: E402
from common import (  # noqa: E402
    Fake,
    cpu_seconds,
    fire_at_rate,
    fire_raw,
    free_port,
    headers,
    loadavg,
    pr_delivery,
    raw_request,
    start_fake,
    wait_ready,
)
from pg_commit_trap import CommitTrap  # noqa: E402
from pr_latency import completed_runs, token  # noqa: E402

# ASYNCGUARD_MAX_CONCURRENT_RUNS of each worker (2, the deploy default); set from --runs-per-worker
WORKER_SETTINGS = {"runs_per_worker": 2}


def bot_env(fake: Fake, data: Path, db_url: str, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASYNCGUARD_")}
    env.update({
        "ASYNCGUARD_APP_ID": str(fake.info["app_id"]), "ASYNCGUARD_PRIVATE_KEY_PATH": fake.info["key"],
        "ASYNCGUARD_WEBHOOK_SECRET": "bench-secret", "ASYNCGUARD_GITHUB_API_URL": fake.info["url"],
        "ASYNCGUARD_PORT": str(port), "ASYNCGUARD_DATA_DIR": str(data), "ASYNCGUARD_DATABASE_URL": db_url,
        "ASYNCGUARD_WRITE_SPACING": "0", "ASYNCGUARD_DEBOUNCE_SECONDS": "0.05", "ASYNCGUARD_JOB_LEASE_SECONDS": "3",
        "ASYNCGUARD_MAX_CONCURRENT_RUNS": str(WORKER_SETTINGS["runs_per_worker"]),
    })
    return env


def spawn(role: str, fake: Fake, data: Path, db_url: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = bot_env(fake, data, db_url, port)
    exe = str(Path(sys.executable).with_name("asyncguard"))
    cmd = [exe, "serve", "--web-only"] if role == "web" else [exe, "worker", "--port", str(port)]
    proc = subprocess.Popen([*cmd, "--log-level", "ERROR"], env=env, cwd=data.parent,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_ready(url, 60)
    return proc, url


def edited_body(fake: Fake, number: int) -> bytes:
    payload = json.loads(pr_delivery(fake, number, "edited"))
    payload["changes"] = {"title": {"from": "old"}}
    return json.dumps(payload).encode()


async def fire(webs: list[str], bodies: list[tuple[str, str, bytes]], clients: int) -> list[tuple[str, int, float]]:
    """(delivery, status, seconds) for each; status 0 = connection error."""
    out: list[tuple[str, int, float]] = []
    queue = list(enumerate(bodies))

    async def client(session: aiohttp.ClientSession) -> None:
        while queue:
            i, (delivery, event, body) = queue.pop()
            t = time.perf_counter()
            try:
                async with session.post(f"{webs[i % len(webs)]}/webhook", data=body,
                                        headers=headers(body, event, delivery)) as r:
                    await r.read()
                    status = r.status
            except aiohttp.ClientError:
                status = 0
            out.append((delivery, status, time.perf_counter() - t))

    conn = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=conn) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return out


async def settle(db: str, within: float = 300) -> None:
    conn = await asyncpg.connect(db)
    try:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            n = await conn.fetchval("SELECT count(*) FROM jobs WHERE status IN ('queued', 'running')")
            if n == 0:
                return
            await asyncio.sleep(0.2)
        raise TimeoutError("jobs still pending")
    finally:
        await conn.close()


async def exactly_once(db: str, ids: list[str]) -> tuple[int, int, int]:
    """(done exactly once, missing, doubled) over these delivery ids."""
    conn = await asyncpg.connect(db)
    try:
        rows = await conn.fetch("SELECT d.id, d.status, (SELECT count(*) FROM jobs j WHERE j.delivery_id = d.id) AS n "
                                "FROM deliveries d WHERE d.id = ANY($1::text[])", ids)
    finally:
        await conn.close()
    seen = {r["id"]: (r["status"], r["n"]) for r in rows}
    once = sum(1 for i in ids if seen.get(i) == ("done", 1))
    missing = sum(1 for i in ids if i not in seen or seen[i][0] != "done")
    doubled = sum(1 for i in ids if i in seen and seen[i][1] > 1)
    return once, missing, doubled


def wait_completed(fake: Fake, tok: str, sha: str, within: float) -> None:
    deadline = time.monotonic() + within
    while not completed_runs(fake, tok, sha) and time.monotonic() < deadline:
        time.sleep(0.2)


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] * 1000


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--acks", type=int, default=3000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--prs", type=int, default=8)
    ap.add_argument("--only", choices=["acks"], help="stop after the acks phase")
    ap.add_argument("--rates", type=float, nargs="*", default=[250.0, 500.0], help="open-loop offered rates, acks/s")
    ap.add_argument("--seconds", type=float, default=6.0, help="length of each open-loop round")
    ap.add_argument("--runs-per-worker", type=int, default=2,
                    help="analysis processes per worker (ASYNCGUARD_MAX_CONCURRENT_RUNS); 1 shows how PR runs "
                         "grow with worker replicas on a machine with fewer cores than 2 x 2")
    ap.add_argument("--fast-pg", action="store_true",
                    help="PostgreSQL with fsync and synchronous commit off (the tests' setting; not durable)")
    args = ap.parse_args()
    WORKER_SETTINGS["runs_per_worker"] = args.runs_per_worker
    server = pgserver.start_server(durable=not args.fast_pg)
    procs: list[subprocess.Popen[bytes]] = []
    fake = start_fake(files=1000, pulls=2 * args.prs + 1)  # PR 1 for the kill, then a round per worker count
    try:
        admin = await asyncpg.connect(server.url().replace("+asyncpg", ""))
        await admin.execute('CREATE DATABASE bench')
        await admin.close()
        db_url = server.url("bench")
        plain = db_url.replace("+asyncpg", "")
        data = Path(tempfile.mkdtemp(prefix="asyncguard-scale-")) / "data"
        data.mkdir(parents=True)
        webs = []
        workers: list[subprocess.Popen[bytes]] = []
        for role in ("web", "web", "worker", "worker"):
            proc, url = spawn(role, fake, data, db_url)
            procs.append(proc)
            (webs.append(url) if role == "web" else workers.append(proc))
        print(f"2 web + 2 worker ({args.runs_per_worker} PR runs at once each) on PostgreSQL {server.port} ({'fsync off' if args.fast_pg else 'fsync on, synchronous commit'}); "
              f"fake GitHub {fake.info['url']}; {os.cpu_count()} cores, load avg {loadavg()} before", flush=True)

        # -- acks: 1 web process, then 2, same run -------------------------------------------
        body = edited_body(fake, 1)
        acked: list[str] = []
        warm = [(d, raw_request("x", body, "pull_request", d)) for d in (str(uuid.uuid4()) for _ in range(400))]
        await fire_raw(webs, warm, args.clients)  # connections, prepared statements: a server that has run a while
        await settle(plain)
        for k in (1, 2):
            urls = webs[:k]
            hosts = [u.removeprefix("http://") for u in urls]
            ids = [str(uuid.uuid4()) for _ in range(args.acks)]
            # connection i talks to urls[i % k] (the Host header routes nothing here)
            batch = [(d, raw_request(hosts[0], body, "pull_request", d)) for d in ids]
            pids = [p.pid for p in procs[:k]]
            cpu0 = [cpu_seconds(pid) for pid in pids]
            me0 = time.process_time()
            t = time.perf_counter()
            res = await fire_raw(urls, batch, args.clients)
            wall = time.perf_counter() - t
            cpu = sum(cpu_seconds(pid) - c for pid, c in zip(pids, cpu0, strict=True))
            ok = [d for d, st, _ in res if st == 202]
            lat = [x for _, st, x in res if st == 202]
            acked += ok
            print(f"acks, {k} web: {len(ok)}/{len(res)} 202 in {wall:.2f}s = {len(ok) / wall:.0f} acks/s; "
                  f"p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms ({args.clients} connections); "
                  f"web CPU {cpu / max(1, len(ok)) * 1000:.2f} ms/ack; bench client CPU "
                  f"{(time.process_time() - me0) / wall * 100:.0f}% of a core; load avg {loadavg()}", flush=True)
            t = time.perf_counter()
            await settle(plain)  # the workers drain this round before the next one is measured
            print(f"acks, {k} web: the 2 workers finished those jobs {time.perf_counter() - t:.1f}s after the last ack",
                  flush=True)
        # open loop: a fixed offered rate (the way GitHub sends), latency counted from when each was due
        for k in (1, 2):
            for rate in args.rates:
                ids = [str(uuid.uuid4()) for _ in range(int(rate * args.seconds))]
                batch = [(d, raw_request("x", body, "pull_request", d)) for d in ids]
                t = time.perf_counter()
                res = await fire_at_rate(webs[:k], batch, rate)
                wall = time.perf_counter() - t
                ok = [d for d, st, _ in res if st == 202]
                lat = [x for _, st, x in res if st == 202]
                acked += ok
                print(f"rate, {k} web: offered {rate:.0f}/s for {args.seconds:.0f}s: {len(ok)}/{len(res)} 202 "
                      f"({len(ok) / wall:.0f} acks/s); p50 {pct(lat, 0.5):.1f} ms, p99 {pct(lat, 0.99):.1f} ms, "
                      f"max {pct(lat, 1.0):.1f} ms; load avg {loadavg()}", flush=True)
                await settle(plain)
        once, missing, doubled = await exactly_once(plain, acked)
        print(f"acks: exactly once {once}, missing {missing}, doubled {doubled}", flush=True)
        if args.only == "acks":
            return

        # -- PR runs per minute on a 1,000-file repository, with 1 worker and then 2 -------------
        tok = token(fake)
        for k in (1, 2):
            paused = workers[k:]  # a stopped worker claims nothing; it holds no job (all settled)
            for w in paused:
                os.kill(w.pid, signal.SIGSTOP)
            try:
                first = 2 + (k - 1) * args.prs
                numbers = list(range(first, first + args.prs))
                t = time.perf_counter()
                runs = [(str(uuid.uuid4()), "pull_request", pr_delivery(fake, n, "synchronize")) for n in numbers]
                assert all(s == 202 for _, s, _ in await fire(webs, runs, 8))
                deadline = time.monotonic() + 600
                pending = set(numbers)
                while pending and time.monotonic() < deadline:
                    pending = {n for n in pending if not await asyncio.to_thread(
                        completed_runs, fake, tok, fake.info["pulls"][str(n)])}
                    await asyncio.sleep(0.2)
                took = time.perf_counter() - t
            finally:
                for w in paused:
                    os.kill(w.pid, signal.SIGCONT)
            print(f"runs, {k} worker{'s' if k > 1 else ''}: {len(numbers) - len(pending)}/{len(numbers)} PR runs "
                  f"completed in {took:.1f}s = {(len(numbers) - len(pending)) / took * 60:.1f} PR runs/min; "
                  f"load avg {loadavg()}", flush=True)
            await settle(plain)

        # -- SIGKILL the worker holding a PR run ----------------------------------------------
        n = 1
        sha = fake.info["pulls"][str(n)]
        conn = await asyncpg.connect(plain)
        assert all(s == 202 for _, s, _ in await fire(webs, [(str(uuid.uuid4()), "pull_request",
                                                               pr_delivery(fake, n, "synchronize"))], 1))
        holder = None
        deadline = time.monotonic() + 60
        while holder is None and time.monotonic() < deadline:
            holder = await conn.fetchval("SELECT worker FROM jobs WHERE kind = 'pr_run' AND status = 'running' "
                                         "AND payload LIKE $1", f'%"head_sha": "{sha}"%')
            await asyncio.sleep(0.01)
        killed = None
        if holder:
            pid = int(holder.split(":")[1])
            await asyncio.sleep(0.3)  # mid-run: snapshots / analysis
            os.kill(pid, signal.SIGKILL)
            killed = pid
            print(f"kill: SIGKILL worker pid {pid} while it ran the PR run", flush=True)
            for w in workers:
                if w.pid == pid:
                    await asyncio.to_thread(w.wait)
        t = time.perf_counter()
        await asyncio.to_thread(wait_completed, fake, tok, sha, 120)
        attempts = await conn.fetchval("SELECT max(attempts) FROM jobs WHERE kind = 'pr_run' AND payload LIKE $1",
                                       f'%"head_sha": "{sha}"%')
        await conn.close()
        req = urllib.request.Request(f"{fake.info['url']}/repos/{fake.info['repo']}/commits/{sha}/check-runs",
                                     headers={"Authorization": f"token {tok}"})
        all_runs = await asyncio.to_thread(lambda: json.load(urllib.request.urlopen(req))["check_runs"])
        per_name = Counter(c["name"] for c in all_runs)
        left_open = [c["id"] for c in all_runs if c["status"] != "completed"]
        print(f"kill: completed in {time.perf_counter() - t:.1f}s after the kill by the other worker; check runs for the "
              f"head by name: {dict(per_name)} (exactly one each: {set(per_name.values()) == {1}}), in progress: "
              f"{left_open}; {[(c['id'], c['name'], c['conclusion'], c['output']['annotations_count']) for c in all_runs]}; "
              f"job attempts {attempts}; killed={killed is not None}", flush=True)
        if killed:
            proc, _ = spawn("worker", fake, data, db_url)
            procs.append(proc)

        # -- restart PostgreSQL during a burst --------------------------------------------------
        burst = [(str(uuid.uuid4()), "pull_request", body) for _ in range(1500)]

        async def restart_later() -> None:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(server.restart)

        t = time.perf_counter()
        res, _ = await asyncio.gather(fire(webs, burst, args.clients), restart_later())
        ok = [d for d, s, _ in res if 200 <= s < 300]
        refused = [d for d, s, _ in res if s >= 500 or s == 0]
        other = [s for _, s, _ in res if not (200 <= s < 300 or s >= 500 or s == 0)]
        print(f"restart: {len(ok)} acknowledged, {len(refused)} refused with 5xx/connection error, other {other[:5]} "
              f"in {time.perf_counter() - t:.1f}s", flush=True)
        await asyncio.sleep(2)
        await settle(plain)
        once, missing, doubled = await exactly_once(plain, ok)
        print(f"restart: acknowledged ones exactly once {once}, missing {missing}, doubled {doubled}", flush=True)
        again = [(d, "pull_request", body) for d in refused]
        res2 = await fire(webs, again, args.clients)
        await settle(plain)
        ok2 = [d for d, s, _ in res2 if s == 202]
        once2, missing2, doubled2 = await exactly_once(plain, ok2)
        print(f"restart: redelivered {len(again)} refused ones: {len(ok2)} 202 (others: "
              f"{sorted({s for _, s, _ in res2 if s != 202})}); exactly once {once2}, missing {missing2}, "
              f"doubled {doubled2}", flush=True)

        # -- SIGKILL a web process mid-burst, and exactly between a commit and its acks ----------------
        # "trap": that web process reaches PostgreSQL through a proxy that, once armed, withholds the
        # reply to a COMMIT (PostgreSQL has committed; nothing of that transaction is acknowledged yet),
        # and the web process is SIGKILLed right then. "random": killed 1 s into the burst.
        trap = CommitTrap(server.port)
        await trap.start()
        trapped_url = db_url.replace(f":{server.port}/", f":{trap.port}/")
        for how in ("random", "trap"):
            # in a thread: the proxy runs on this event loop and must answer the new process's /readyz ping
            victim, vurl = await asyncio.to_thread(spawn, "web", fake, data, trapped_url if how == "trap" else db_url)
            procs.append(victim)
            ids = [str(uuid.uuid4()) for _ in range(3000)]
            burst_raw = [(d, raw_request("x", body, "pull_request", d)) for d in ids]

            async def kill_web(pid: int, how: str) -> None:
                await asyncio.sleep(1.0 if how == "random" else 0.5)
                if how == "trap":
                    trap.arm()
                    await asyncio.wait_for(trap.trapped.wait(), 30)
                os.kill(pid, signal.SIGKILL)

            res, _ = await asyncio.gather(fire_raw([vurl], burst_raw, args.clients, per_request=10),
                                          kill_web(victim.pid, how))
            await asyncio.to_thread(victim.wait)
            acked_ids = [d for d, st, _ in res if st == 202]
            unanswered = [d for d, st, _ in res if st != 202]
            conn = await asyncpg.connect(plain)
            committed = await conn.fetchval("SELECT count(*) FROM deliveries WHERE id = ANY($1::text[])", unanswered)
            await conn.close()
            # GitHub redelivers every delivery that got no 2xx, here to another web process
            res2 = await fire_raw([webs[1]], [(d, raw_request("x", body, "pull_request", d)) for d in unanswered],
                                  args.clients)
            statuses = Counter(st for _, st, _ in res2)
            await settle(plain)
            once, missing, doubled = await exactly_once(plain, ids)
            print(f"webkill ({how}): SIGKILL web pid {victim.pid} mid-burst: {len(acked_ids)} acknowledged, "
                  f"{len(unanswered)} unanswered, {committed} of them committed (never acknowledged); redelivered: "
                  f"{statuses.get(200, 0)} answered duplicate, {statuses.get(202, 0)} queued, other "
                  f"{dict((k, v) for k, v in statuses.items() if k not in (200, 202))}; all {len(ids)}: exactly once "
                  f"{once}, missing {missing}, doubled {doubled}", flush=True)
        await trap.close()
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        fake.proc.terminate()
        pgserver.remove(server)


if __name__ == "__main__":
    asyncio.run(main())
