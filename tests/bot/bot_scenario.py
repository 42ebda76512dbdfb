"""A pull request scenario on a real git repo served by the fake GitHub (shared by the bot tests)."""

from __future__ import annotations

from dataclasses import dataclass

from fakegithub import FakeGitHub, GitRepo
from fakegithub.botserver import BotServer
from fakegithub.webhooks import check_payload, pull_request_payload

REPO = "octo/shop"

BASE = {
    "shop/__init__.py": "",
    "shop/mail.py": "def notify(user):\n    return f'hello {user}'\n",
    "shop/orders.py": (
        "from shop.mail import notify\n"
        "\n"
        "\n"
        "async def place_order(user):\n"
        "    notify(user)\n"
        "    return user\n"
    ),
}

# head: notify() becomes async; orders.py is touched near the call but the call still lacks await
HEAD_BROKEN = {
    "shop/mail.py": "async def notify(user):\n    return f'hello {user}'\n",
    "shop/orders.py": (
        "from shop.mail import notify\n"
        "\n"
        "\n"
        "async def place_order(user):\n"
        "    notify(user)\n"
        "    return user  # the order id, later\n"
    ),
}

HEAD_FIXED = {
    "shop/orders.py": (
        "from shop.mail import notify\n"
        "\n"
        "\n"
        "async def place_order(user):\n"
        "    await notify(user)\n"
        "    return user  # the order id, later\n"
    ),
}


@dataclass
class PR:
    fake: FakeGitHub
    git: GitRepo
    bot: BotServer
    number: int = 1

    @property
    def head(self) -> str:
        return self.fake.repos[REPO].pulls[self.number].head_sha

    async def push(self, files: dict[str, str | bytes | None], message: str = "push") -> str:
        self.git.checkout("feature")
        sha = self.git.commit(message, files)
        self.git.checkout("main")
        self.fake.push(REPO, self.number)
        return sha

    async def event(self, action: str = "synchronize", delivery_id: str | None = None) -> None:
        payload = pull_request_payload(self.fake, REPO, self.number, action)
        status, text = await self.bot.webhook.deliver("pull_request", payload, delivery_id=delivery_id)
        assert status == 202, text

    async def check_event(self, event: str, action: str) -> None:
        status, text = await self.bot.webhook.deliver(event, check_payload(self.fake, REPO, self.number, event, action))
        assert status == 202, text

    def runs(self, head: str | None = None) -> list:  # type: ignore[type-arg]
        return self.fake.runs_for(REPO, head)

    def run(self, head: str | None = None):  # type: ignore[no-untyped-def]
        runs = self.runs(head or self.head)
        assert len(runs) == 1, [(r.head_sha[:7], r.status, r.conclusion) for r in runs]
        return runs[0]


def open_pr(fake: FakeGitHub, git: GitRepo, bot: BotServer, head: dict[str, str | bytes | None] | None = None,
            base: dict[str, str | bytes | None] | None = None) -> PR:
    git.commit("base", base or BASE)
    git.checkout("main", new_branch="feature")
    git.commit("change", HEAD_BROKEN if head is None else head)
    git.checkout("main")
    fake.add_repo(REPO, git, installation_id=42)
    fake.open_pull(REPO, base_ref="main", head_ref="feature", number=1)
    return PR(fake, git, bot)
