"""A fake GitHub for the bot's tests: real HTTP on loopback, real git repos, OpenAPI-validated."""

from .faults import Fault
from .gitrepo import GitRepo
from .server import BOT_LOGIN, FakeGitHub, FakeRequest, generate_private_key
from .state import CheckRun, FakePull, FakeRepo, IssueComment, Review, ReviewComment
from .webhooks import WebhookSender, example_payload, pull_request_payload, sign, validate_payload

__all__ = [
    "BOT_LOGIN", "CheckRun", "FakeGitHub", "FakePull", "FakeRepo", "FakeRequest", "Fault", "GitRepo",
    "IssueComment", "Review", "ReviewComment", "WebhookSender", "example_payload", "generate_private_key",
    "pull_request_payload", "sign", "validate_payload",
]
