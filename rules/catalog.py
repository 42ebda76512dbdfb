"""Well-known async and blocking APIs of the standard library and popular libraries.

Names are fully qualified as the resolver sees them after following imports (`asyncio.sleep`,
`aiohttp.ClientSession.close`). Instance methods of external classes are `<class>.<method>`.
Users extend the lists in config (`blocking-calls`, `async-callables`).
"""

from __future__ import annotations

# Callables whose call returns a coroutine that must be awaited (or handed to a runner).
ASYNC_CALLABLES: frozenset[str] = frozenset(
    {
        # asyncio
        "asyncio.sleep",
        "asyncio.wait",
        "asyncio.wait_for",
        "asyncio.open_connection",
        "asyncio.open_unix_connection",
        "asyncio.start_server",
        "asyncio.start_unix_server",
        "asyncio.create_subprocess_exec",
        "asyncio.create_subprocess_shell",
        "asyncio.to_thread",
        "asyncio.staggered.staggered_race",
        "asyncio.Queue.get",
        "asyncio.Queue.put",
        "asyncio.Queue.join",
        "asyncio.PriorityQueue.get",
        "asyncio.PriorityQueue.put",
        "asyncio.LifoQueue.get",
        "asyncio.LifoQueue.put",
        "asyncio.Lock.acquire",
        "asyncio.Semaphore.acquire",
        "asyncio.BoundedSemaphore.acquire",
        "asyncio.Event.wait",
        "asyncio.Condition.wait",
        "asyncio.Condition.wait_for",
        "asyncio.Condition.acquire",
        "asyncio.Barrier.wait",
        "asyncio.StreamReader.read",
        "asyncio.StreamReader.readline",
        "asyncio.StreamReader.readexactly",
        "asyncio.StreamReader.readuntil",
        "asyncio.StreamWriter.drain",
        "asyncio.StreamWriter.wait_closed",
        "asyncio.AbstractEventLoop.run_in_executor",
        "asyncio.AbstractEventLoop.sock_recv",
        "asyncio.AbstractEventLoop.sock_sendall",
        "asyncio.AbstractEventLoop.sock_connect",
        "asyncio.AbstractEventLoop.sock_accept",
        "asyncio.AbstractEventLoop.getaddrinfo",
        "asyncio.AbstractEventLoop.create_connection",
        "asyncio.AbstractEventLoop.create_server",
        "asyncio.AbstractEventLoop.shutdown_asyncgens",
        # aiohttp
        "aiohttp.ClientSession.close",
        "aiohttp.ClientResponse.text",
        "aiohttp.ClientResponse.json",
        "aiohttp.ClientResponse.read",
        "aiohttp.ClientResponse.release",
        "aiohttp.ClientWebSocketResponse.send_str",
        "aiohttp.ClientWebSocketResponse.send_json",
        "aiohttp.ClientWebSocketResponse.send_bytes",
        "aiohttp.ClientWebSocketResponse.receive",
        "aiohttp.ClientWebSocketResponse.receive_str",
        "aiohttp.ClientWebSocketResponse.receive_json",
        "aiohttp.ClientWebSocketResponse.close",
        "aiohttp.web.AppRunner.setup",
        "aiohttp.web.AppRunner.cleanup",
        "aiohttp.web.TCPSite.start",
        "aiohttp.web.Request.json",
        "aiohttp.web.Request.text",
        "aiohttp.web.Request.post",
        "aiohttp.web.Request.read",
        "aiohttp.web.StreamResponse.prepare",
        "aiohttp.web.StreamResponse.write",
        "aiohttp.web.WebSocketResponse.prepare",
        "aiohttp.web.WebSocketResponse.send_str",
        "aiohttp.web.WebSocketResponse.send_json",
        "aiohttp.web.WebSocketResponse.send_bytes",
        "aiohttp.web.WebSocketResponse.receive",
        "aiohttp.web.WebSocketResponse.close",
        # httpx
        "httpx.AsyncClient.get",
        "httpx.AsyncClient.post",
        "httpx.AsyncClient.put",
        "httpx.AsyncClient.patch",
        "httpx.AsyncClient.delete",
        "httpx.AsyncClient.head",
        "httpx.AsyncClient.options",
        "httpx.AsyncClient.request",
        "httpx.AsyncClient.send",
        "httpx.AsyncClient.aclose",
        "httpx.Response.aread",
        "httpx.Response.aclose",
        # asyncpg
        "asyncpg.connect",
        "asyncpg.create_pool",
        "asyncpg.Connection.fetch",
        "asyncpg.Connection.fetchrow",
        "asyncpg.Connection.fetchval",
        "asyncpg.Connection.execute",
        "asyncpg.Connection.executemany",
        "asyncpg.Connection.close",
        "asyncpg.Pool.acquire",
        "asyncpg.Pool.close",
        # redis.asyncio
        "redis.asyncio.Redis.get",
        "redis.asyncio.Redis.set",
        "redis.asyncio.Redis.delete",
        "redis.asyncio.Redis.publish",
        "redis.asyncio.Redis.close",
        "redis.asyncio.Redis.aclose",
        # websockets
        "websockets.WebSocketClientProtocol.send",
        "websockets.WebSocketClientProtocol.recv",
        "websockets.WebSocketClientProtocol.close",
        "websockets.WebSocketServerProtocol.send",
        "websockets.WebSocketServerProtocol.recv",
        "websockets.WebSocketServerProtocol.close",
        # anyio / trio
        "anyio.sleep",
        "anyio.open_file",
        "anyio.connect_tcp",
        "anyio.to_thread.run_sync",
        "trio.sleep",
        "trio.open_tcp_stream",
        "trio.to_thread.run_sync",
        "aiofiles.os.remove",
        "aiofiles.os.stat",
    }
)

# Calls returning an object that is both awaitable and an async context manager: it must be awaited
# or used with `async with`.
AWAITABLE_CMS: frozenset[str] = frozenset(
    {f"aiohttp.ClientSession.{m}" for m in ("get", "post", "put", "patch", "delete", "head", "options",
                                            "request", "ws_connect")}
    | {"websockets.connect", "websockets.client.connect", "aiofiles.open", "asyncpg.Pool.acquire",
       "asyncpg.create_pool", "aiohttp.request"}
)

# Calls that hand a coroutine to something that runs it: a coroutine passed here is not lost.
RUNNERS: frozenset[str] = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.gather",
        "asyncio.wait_for",
        "asyncio.wait",
        "asyncio.shield",
        "asyncio.run",
        "asyncio.as_completed",
        "asyncio.run_coroutine_threadsafe",
        "asyncio.timeout",
        "asyncio.TaskGroup.create_task",
        "asyncio.AbstractEventLoop.run_until_complete",
        "asyncio.AbstractEventLoop.create_task",
        "asyncio.Runner.run",
        "anyio.run",
        "trio.run",
    }
)
# Method names that run a coroutine on whatever object they are called on (a loop, a task group,
# a nursery, a scheduler): unknown receivers are common here, so names are enough.
RUNNER_METHOD_NAMES: frozenset[str] = frozenset(
    {"create_task", "ensure_future", "run_until_complete", "run_coroutine_threadsafe", "gather", "shield",
     "wait_for", "spawn", "schedule", "submit", "start_soon", "call_soon_threadsafe", "add_task", "run"}
)

# Calls whose result is the coroutine's own scheduling: a task or future.
TASK_FACTORIES: frozenset[str] = frozenset(
    {"asyncio.create_task", "asyncio.ensure_future", "asyncio.AbstractEventLoop.create_task"}
)

# Starting an event loop: must not happen inside `async def`.
LOOP_STARTERS: frozenset[str] = frozenset(
    {"asyncio.run", "asyncio.AbstractEventLoop.run_until_complete", "asyncio.Runner.run"}
)

# Calls that return the running/default loop, so `loop.create_task` & co resolve.
LOOP_GETTERS: frozenset[str] = frozenset(
    {"asyncio.get_event_loop", "asyncio.get_running_loop", "asyncio.new_event_loop"}
)

# Sinks that turn a value into text: a coroutine passed here was meant to be awaited first.
VALUE_SINKS: frozenset[str] = frozenset(
    {"print", "str", "repr", "format", "len", "int", "float", "bool", "json.dumps", "logging.debug",
     "logging.info", "logging.warning", "logging.error", "logging.exception", "logging.critical",
     "logging.log", "logging.Logger.debug", "logging.Logger.info", "logging.Logger.warning",
     "logging.Logger.error", "logging.Logger.exception", "logging.Logger.critical", "logging.Logger.log"}
)
# Standard-library callables that read a plain value: a coroutine passed to them is always a bug.
VALUE_SINKS = VALUE_SINKS | frozenset(
    {"bytes", "bytearray", "list", "dict", "tuple", "set", "sorted", "sum", "min", "max", "any", "all",
     "enumerate", "zip", "io.BytesIO", "io.StringIO", "json.loads", "json.load", "json.dump", "base64.b64encode",
     "base64.b64decode", "base64.urlsafe_b64encode", "base64.urlsafe_b64decode", "hashlib.sha256", "hashlib.sha1",
     "hashlib.md5", "zlib.compress", "zlib.decompress", "gzip.compress", "gzip.decompress", "struct.unpack",
     "os.path.join", "os.path.exists", "os.path.basename", "os.path.dirname", "re.match", "re.search", "re.sub",
     "re.findall", "re.split", "urllib.parse.quote", "urllib.parse.urlencode", "urllib.parse.urlparse",
     "shlex.quote", "shlex.split", "textwrap.dedent", "html.escape", "datetime.datetime.fromisoformat",
     "datetime.datetime.fromtimestamp", "uuid.UUID", "pathlib.Path", "math.floor", "math.ceil"}
)
LOGGER_METHOD_NAMES: frozenset[str] = frozenset({"debug", "info", "warning", "warn", "error", "exception", "critical"})

# Blocking calls: (qualified name, follow-through-helpers). `open()` is flagged only when called
# directly in `async def`: a sync helper reading a small file is rarely worth a warning.
# Local-file I/O (FILE_IO_CALLS) is left out unless `blocking-file-io = true`.
BLOCKING_CALLS: dict[str, bool] = {
    "time.sleep": True,
    "requests.get": True,
    "requests.post": True,
    "requests.put": True,
    "requests.patch": True,
    "requests.delete": True,
    "requests.head": True,
    "requests.options": True,
    "requests.request": True,
    "requests.Session.get": True,
    "requests.Session.post": True,
    "requests.Session.put": True,
    "requests.Session.patch": True,
    "requests.Session.delete": True,
    "requests.Session.request": True,
    "requests.Session.send": True,
    "urllib.request.urlopen": True,
    "urllib3.request": True,
    "urllib3.PoolManager.request": True,
    "httpx.get": True,
    "httpx.post": True,
    "httpx.put": True,
    "httpx.patch": True,
    "httpx.delete": True,
    "httpx.request": True,
    "httpx.Client.get": True,
    "httpx.Client.post": True,
    "httpx.Client.request": True,
    "httpx.Client.send": True,
    "subprocess.run": True,
    "subprocess.call": True,
    "subprocess.check_call": True,
    "subprocess.check_output": True,
    "subprocess.getoutput": True,
    "subprocess.getstatusoutput": True,
    "subprocess.Popen.wait": True,
    "subprocess.Popen.communicate": True,
    "os.system": True,
    "os.wait": True,
    "os.waitpid": True,
    "socket.create_connection": True,
    "socket.getaddrinfo": True,
    "socket.gethostbyname": True,
    "socket.socket.connect": True,
    "socket.socket.accept": True,
    "socket.socket.recv": True,
    "socket.socket.recvfrom": True,
    "socket.socket.send": True,
    "socket.socket.sendall": True,
    "input": True,
    "open": False,
    "io.open": False,
    "pathlib.Path.read_text": False,
    "pathlib.Path.read_bytes": False,
    "pathlib.Path.write_text": False,
    "pathlib.Path.write_bytes": False,
    "pathlib.Path.open": False,
    "threading.Event.wait": True,
    "threading.Thread.join": True,
    "queue.Queue.get": True,
    "smtplib.SMTP": True,
    "ftplib.FTP": True,
    "psycopg2.connect": True,
    "pymysql.connect": True,
    "sqlite3.connect": False,
}

# Local-file I/O: blocking, but not reported unless `blocking-file-io = true`. asyncio has no async
# file API, the page cache makes small reads and writes fast, and on real projects no maintainer
# changed the `open()` / `Path.read_text()` calls flagged in their `async def`s (32 of AG107's 34
# debatable findings on the precision corpus were these).
FILE_IO_CALLS: frozenset[str] = frozenset(
    {"open", "io.open", "pathlib.Path.open", "pathlib.Path.read_text", "pathlib.Path.read_bytes",
     "pathlib.Path.write_text", "pathlib.Path.write_bytes"}
)

# Calls that run a blocking function elsewhere: a function reference passed here is fine.
OFFLOADERS: frozenset[str] = frozenset(
    {"asyncio.to_thread", "asyncio.AbstractEventLoop.run_in_executor", "anyio.to_thread.run_sync",
     "trio.to_thread.run_sync"}
)

# Context managers usable only with `async with` / only with `with`.
ASYNC_ONLY_CMS: frozenset[str] = AWAITABLE_CMS | frozenset(
    {"typing.AsyncContextManager", "aiohttp.ClientSession", "httpx.AsyncClient", "asyncio.timeout", "asyncio.timeout_at", "asyncio.TaskGroup",
     "asyncio.Lock", "asyncio.Semaphore", "asyncio.BoundedSemaphore", "asyncio.Condition",
     "anyio.create_task_group", "aiofiles.open", "asyncpg.Pool.acquire", "trio.open_nursery"}
)
SYNC_ONLY_CMS: frozenset[str] = frozenset(
    {"typing.ContextManager", "open", "io.open", "threading.Lock", "threading.RLock", "threading.Semaphore", "threading.Condition",
     "tempfile.TemporaryDirectory", "tempfile.NamedTemporaryFile", "tempfile.TemporaryFile",
     "contextlib.suppress", "contextlib.redirect_stdout", "contextlib.redirect_stderr", "requests.Session",
     "httpx.Client", "socket.socket", "zipfile.ZipFile", "tarfile.open", "sqlite3.connect",
     "concurrent.futures.ThreadPoolExecutor", "concurrent.futures.ProcessPoolExecutor", "warnings.catch_warnings"}
)
# Objects (by class) and calls that give async-only iterables.
ASYNC_ITERABLES: frozenset[str] = frozenset(
    {"typing.AsyncIterable", "aiohttp.ClientWebSocketResponse", "aiohttp.web.WebSocketResponse",
     "asyncio.StreamReader", "websockets.WebSocketClientProtocol", "websockets.WebSocketServerProtocol"}
)
ASYNC_ITERABLE_CALLS: frozenset[str] = frozenset(
    {"watchgod.awatch", "watchfiles.awatch", "aiohttp.StreamReader.iter_chunked", "aiohttp.StreamReader.iter_any",
     "aiohttp.StreamReader.iter_line", "aiohttp.StreamReader.iter_chunks",
     *(f"{owner}.content.{m}" for owner in ("aiohttp.ClientResponse", "aiohttp.web.Request")
       for m in ("iter_chunked", "iter_any", "iter_chunks")),
     "aiofiles.os.scandir", "anyio.Path.iterdir"}
)
SYNC_ITERABLES: frozenset[str] = frozenset({"typing.Iterable"})

# Plain (sync) iterables returned by these builtins: `async for` over them fails.
SYNC_ITERABLE_CALLS: frozenset[str] = frozenset(
    {"range", "enumerate", "zip", "reversed", "sorted", "list", "tuple", "set", "dict", "iter", "map", "filter",
     "open", "os.listdir", "os.scandir", "os.walk", "glob.glob", "glob.iglob", "itertools.chain",
     "itertools.count", "itertools.product"}
)

# External classes the resolver knows about: calling one yields an instance of it.
KNOWN_CLASSES: frozenset[str] = frozenset(
    {"aiohttp.ClientResponse", "aiohttp.ClientWebSocketResponse", "httpx.Response", "asyncpg.Connection",
     "asyncpg.Pool", "websockets.WebSocketClientProtocol", "asyncio.Queue", "asyncio.PriorityQueue", "asyncio.LifoQueue", "asyncio.Lock", "asyncio.Semaphore",
     "asyncio.BoundedSemaphore", "asyncio.Event", "asyncio.Condition", "asyncio.Barrier", "asyncio.TaskGroup",
     "asyncio.Runner", "aiohttp.ClientSession", "httpx.AsyncClient", "httpx.Client", "requests.Session",
     "subprocess.Popen", "socket.socket", "threading.Event", "threading.Thread", "threading.Lock",
     "queue.Queue", "pathlib.Path", "urllib3.PoolManager", "redis.asyncio.Redis", "logging.Logger",
     "aiohttp.web.AppRunner", "aiohttp.web.WebSocketResponse", "aiohttp.web.StreamResponse"}
)
# Calls returning an instance of a known external class.
FACTORY_RESULTS: dict[str, str] = {
    "asyncio.get_event_loop": "asyncio.AbstractEventLoop",
    "asyncio.get_running_loop": "asyncio.AbstractEventLoop",
    "asyncio.new_event_loop": "asyncio.AbstractEventLoop",
    "logging.getLogger": "logging.Logger",
    "redis.asyncio.from_url": "redis.asyncio.Redis",
    "redis.asyncio.Redis.from_url": "redis.asyncio.Redis",
}
# What awaiting a catalogued call gives (an instance of a known external class).
AWAITED_RESULTS: dict[str, str] = {
    **{f"aiohttp.ClientSession.{m}": "aiohttp.ClientResponse" for m in ("get", "post", "put", "patch", "delete",
                                                                        "head", "options", "request")},
    "aiohttp.ClientSession.ws_connect": "aiohttp.ClientWebSocketResponse",
    "httpx.AsyncClient.get": "httpx.Response", "httpx.AsyncClient.post": "httpx.Response",
    "httpx.AsyncClient.request": "httpx.Response", "httpx.AsyncClient.send": "httpx.Response",
    "asyncpg.connect": "asyncpg.Connection", "asyncpg.create_pool": "asyncpg.Pool",
    "websockets.connect": "websockets.WebSocketClientProtocol",
}

# Module aliases some libraries re-export under another name.
MODULE_ALIASES: dict[str, str] = {"aiohttp.client": "aiohttp", "redis.asyncio.client": "redis.asyncio"}

# Names that never return an awaitable: `await` on them is always a bug.
SYNC_CALLABLES: frozenset[str] = frozenset(
    {"time.sleep", "print", "len", "str", "int", "float", "dict", "list", "set", "tuple", "sorted", "json.dumps",
     "json.loads", "os.path.join", "os.path.exists", "open", "range", "isinstance", "getattr", "setattr",
     "subprocess.run", "requests.get", "requests.post"}
)


# Awaitables that are futures, not coroutines: the work runs whether or not anyone awaits, and
# their methods (`.add_done_callback`, `.cancel`, `.result`) are meant to be used.
FUTURE_RESULTS: frozenset[str] = frozenset(
    {"asyncio.AbstractEventLoop.run_in_executor", "asyncio.wrap_future", "asyncio.gather", "asyncio.shield",
     "asyncio.ensure_future", "asyncio.AbstractEventLoop.create_future", "asyncio.run_coroutine_threadsafe"}
)

# Classes whose instances are never awaitable (what `await factory()` cannot be given).
NOT_AWAITABLE_CLASSES: frozenset[str] = frozenset(
    {f"asyncio.{n}" for n in ("Event", "Lock", "Semaphore", "BoundedSemaphore", "Condition", "Queue", "LifoQueue",
                              "PriorityQueue", "Barrier", "AbstractEventLoop", "StreamReader", "StreamWriter")}
    | {f"threading.{n}" for n in ("Event", "Lock", "RLock", "Semaphore", "BoundedSemaphore", "Condition", "Thread",
                                  "Barrier", "Timer")}
    | {f"trio.{n}" for n in ("Event", "Lock", "Semaphore", "Condition", "CapacityLimiter")}
    | {f"anyio.{n}" for n in ("Event", "Lock", "Semaphore", "Condition", "CapacityLimiter")}
    | {"queue.Queue", "logging.Logger", "re.Pattern", "re.Match", "pathlib.Path", "email.message.Message"}
)


# Every name the catalog speaks for: these resolve to the catalog even when a library's source is
# readable (the source of `aiohttp.ClientSession.get` says less than "awaitable context manager").
CATALOGUED: frozenset[str] = (
    ASYNC_CALLABLES | RUNNERS | TASK_FACTORIES | LOOP_STARTERS | LOOP_GETTERS | VALUE_SINKS | frozenset(BLOCKING_CALLS)
    | OFFLOADERS | ASYNC_ONLY_CMS | SYNC_ONLY_CMS | SYNC_ITERABLE_CALLS | KNOWN_CLASSES | frozenset(FACTORY_RESULTS)
    | frozenset(AWAITED_RESULTS) | SYNC_CALLABLES | ASYNC_ITERABLES | ASYNC_ITERABLE_CALLS | AWAITABLE_CMS
)
