"""The embedded local AWS emulator: a moto server on 127.0.0.1 that the tool starts itself."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from fuelflow import moto_fixes
from fuelflow.errors import FuelflowError, InputError

# Settings moto needs for this architecture; set before moto is imported (it reads them at import).
EMULATOR_ENV = {
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "true",  # attaching AWS managed policies fails without it
}
LOCAL_CREDENTIALS = {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
# Only a fuelflow emulator answers here (with its fix report): a plain moto server or LocalStack does not.
STATUS_PATH = "/_fuelflow/status"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on `host` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def check_port_free(host: str, port: int) -> None:
    """Refuse (exit 2, one line) a port something already listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a port in TIME_WAIT is free to use
        try:
            s.bind((host, port))
        except OSError as exc:
            raise InputError(f"port {port} on {host} is in use ({exc.strerror or exc})",
                             "stop what listens there (another `fuelflow local`?) or choose another --port") from exc


class _GapCollector(logging.Handler):
    """Collects the resource types moto's CloudFormation engine skips, so the tool can say so."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.skipped: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("No Moto CloudFormation support for "):
            self.skipped.add(message.rsplit(" ", 1)[-1])
        else:
            sys.stderr.write(f"emulator: {message}\n")


GAPS = _GapCollector()


class _ServerErrors(logging.Handler):
    """Keeps the emulator's own internal errors (a 500 from moto) for the error message, off the terminal."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.last: str = ""

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            self.last = f"{type(exc).__name__}: {exc}"
        else:  # werkzeug logs "Error on request:" with the traceback as text; its last line is the error
            lines = [line for line in record.getMessage().splitlines() if line.strip()]
            if lines:
                self.last = lines[-1].strip()


SERVER_ERRORS = _ServerErrors()
# Every request the emulator answered with a 5xx (with the traceback), and failures it caught and rolled back
# (fix 20): kept in SERVER_ERRORS in-process; `fuelflow local` also prints them (log_to_terminal).
SERVER_LOG = logging.getLogger("fuelflow.emulator")


def log_to_terminal(stream: Any = None) -> None:
    """Print what SERVER_LOG records (5xx answers with their traceback, rolled-back failures) on `stream`."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter("emulator: %(asctime)s %(levelname)s %(message)s"))
    handler.setLevel(logging.WARNING)
    SERVER_LOG.addHandler(handler)
    SERVER_LOG.setLevel(logging.WARNING)


def last_server_error() -> str:
    """The last internal error of the in-process emulator ('' if none, or if it runs elsewhere)."""
    return SERVER_ERRORS.last


def quiet_moto() -> None:
    """Route moto's warnings into GAPS instead of the user's terminal."""
    cfn_logger = logging.getLogger("moto")
    if GAPS not in cfn_logger.handlers:
        cfn_logger.addHandler(GAPS)
    cfn_logger.propagate = False
    warnings.filterwarnings("ignore", message="Tried to parse .* not supported by moto", category=UserWarning)
    server_logger = logging.getLogger("werkzeug")
    server_logger.setLevel(logging.ERROR)  # no request log on the user's terminal
    if SERVER_ERRORS not in server_logger.handlers:
        server_logger.addHandler(SERVER_ERRORS)
    server_logger.propagate = False
    if SERVER_ERRORS not in SERVER_LOG.handlers:
        SERVER_LOG.addHandler(SERVER_ERRORS)
    SERVER_LOG.propagate = False


def skipped_resource_types() -> set[str]:
    """Resource types the in-process emulator reported it did not create (empty for a remote one)."""
    return set(GAPS.skipped)


# The AWS services the architecture's stacks and the tool use (templates, run lock, adoption, audit).
PRELOAD_SERVICES = ("cloudformation", "ec2", "s3", "iam", "rds", "logs", "ssm", "cloudwatch", "sts", "kms", "sns",
                    "elbv2", "autoscaling", "secretsmanager")


def preload(dispatcher: Any, regions: tuple[str, ...], services: tuple[str, ...] = PRELOAD_SERVICES) -> None:
    """Build now what moto builds on a service's first request: the service's request router and its backend
    for the default account in `regions` (moto's EC2 backend alone takes 0.3-0.6 s to make its default VPC and
    image catalogue). It creates nothing that the first request would not create, under moto's own locks, so a
    request that arrives meanwhile waits for the same object instead of building a second."""
    from moto.backends import get_backend
    from moto.core.models import DEFAULT_ACCOUNT_ID

    for service in services:
        if service not in dispatcher.app_instances:
            app = dispatcher.create_app(service)
            with dispatcher.lock:
                dispatcher.app_instances.setdefault(service, app)
        account = get_backend(service)[DEFAULT_ACCOUNT_ID]  # type: ignore[call-overload]
        for region in regions:
            account[region if region in account.regions else "global"]


@dataclass
class Emulator:
    """A running moto server. Use as a context manager, or call `stop()`.

    `preload_regions`: build the backends of PRELOAD_SERVICES for these regions in the background as soon as
    the server listens (`fuelflow local` does, so that the first command does not wait for moto's first-use
    set-up); `ready` is set when that is done (at once without preloading)."""

    host: str = "127.0.0.1"
    port: int = 0
    preload_regions: tuple[str, ...] = ()
    _server: Any = field(default=None, repr=False)
    ready: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Emulator:
        """Start the server on a free port and wait until it answers."""
        for key, value in EMULATOR_ENV.items():
            os.environ.setdefault(key, value)
        try:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                MotoRequestHandler,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError as exc:  # pragma: no cover - moto is a dependency
            raise FuelflowError("the local emulator needs moto[server]", "pip install 'moto[server]'") from exc
        quiet_moto()
        moto_fixes.apply()
        if not self.port:
            self.port = free_port(self.host)
        dispatcher = DomainDispatcherApplication(create_backend_app)
        app = FaultInjector(_with_status(dispatcher, self.ready))
        # moto's ThreadedMotoServer, plus the status route: built from the same public pieces
        check_port_free(self.host, self.port)  # werkzeug would print its own message and exit 1
        self._server = make_server(self.host, self.port, app, True, request_handler=MotoRequestHandler)
        threading.Thread(target=self._server.serve_forever, daemon=True, name="fuelflow-emulator").start()
        if self.preload_regions:
            threading.Thread(target=self._preload, args=(dispatcher,), daemon=True, name="fuelflow-preload").start()
        else:
            self.ready.set()
        wait_until_reachable(self.endpoint_url, timeout=30)
        return self

    def _preload(self, dispatcher: Any) -> None:
        try:
            preload(dispatcher, self.preload_regions)
        except Exception:  # a moto without one of these services: the first request builds what it can
            SERVER_LOG.warning("preloading the emulator's backends failed", exc_info=True)
        finally:
            self.ready.set()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """Forget every resource (moto's reset API)."""
        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        with urllib.request.urlopen(req, timeout=10):
            pass

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def status_document(ready: bool = True) -> dict[str, Any]:
    """What STATUS_PATH answers: this is fuelflow's emulator, its moto, how each fix went, and whether its
    backends are built (`ready`: false while `fuelflow local` still preloads them)."""
    from fuelflow import __version__

    return {"fuelflow": __version__, "moto": moto_fixes.moto_version(), "tested_moto": moto_fixes.TESTED_MOTO,
            "fixes": [r.to_dict() for r in moto_fixes.reports()], "ready": ready}


def _request_name(environ: dict[str, Any]) -> str:
    """'POST / ExecuteChangeSet' - the method, path and API action of a request (for the log).

    Reads a form body to find its Action and puts it back, so that moto still reads it."""
    action = str(environ.get("HTTP_X_AMZ_TARGET", "")).rsplit(".", 1)[-1]
    if not action and "form-urlencoded" in str(environ.get("CONTENT_TYPE", "")):
        import io
        import urllib.parse

        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        action = (urllib.parse.parse_qs(body.decode(errors="replace")).get("Action") or [""])[0]
    return f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}" + (f" {action}" if action else "")


def _with_status(app: Any, ready: threading.Event | None = None) -> Any:
    """Wrap the moto WSGI app so that STATUS_PATH answers with status_document(), and every 5xx is logged."""

    def wsgi(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == STATUS_PATH and environ.get("REQUEST_METHOD") == "GET":
            body = json.dumps(status_document(ready is None or ready.is_set())).encode()
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
            return [body]
        name = _request_name(environ)
        answered: list[str] = []

        def recording_start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            answered.append(status)
            return start_response(status, headers, exc_info)

        try:
            result = app(environ, recording_start_response)
        except Exception:
            SERVER_LOG.error("%s answered 500 (internal error)", name, exc_info=True)
            raise
        if answered and answered[-1].startswith("5"):
            SERVER_LOG.error("%s answered %s", name, answered[-1])
        return result

    return wsgi


def emulator_status(endpoint_url: str, timeout: float = 5.0) -> dict[str, Any] | None:
    """The status of a fuelflow emulator at `endpoint_url`; None when what answers there is another emulator."""
    try:
        with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}{STATUS_PATH}", timeout=timeout) as response:
            document = json.loads(response.read().decode())
    except (urllib.error.URLError, OSError, ValueError):  # HTTPError is a URLError: a 404 from moto/LocalStack
        return None
    return document if isinstance(document, dict) and "fuelflow" in document else None


def is_reachable(endpoint_url: str, timeout: float = 2.0) -> bool:
    """True when something answers HTTP at `endpoint_url`."""
    try:
        with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}/moto-api/", timeout=timeout):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, just not with 200: a server is there
    except (urllib.error.URLError, OSError, ValueError):
        return False


def wait_until_reachable(endpoint_url: str, timeout: float) -> None:
    """Poll until the endpoint answers; raise if it never does."""
    deadline = time.monotonic() + timeout
    delay = 0.02
    while time.monotonic() < deadline:
        if is_reachable(endpoint_url, timeout=1.0):
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    raise FuelflowError(f"the emulator at {endpoint_url} did not start within {timeout:.0f}s",
                        "check that the port is free, or run `fuelflow local` to see its log")


# ------------------------------------------------------------------------------------ fault injection

FAULTS_PATH = "/_fuelflow/faults"


@dataclass
class FaultRule:
    """Answer `action` (an API operation, e.g. DescribeStacks) with an error and/or after a delay.

    `status` 0 = no error (delay only); `count` None = every matching request, else that many.
    """

    action: str
    status: int = 0
    code: str = ""
    message: str = ""
    count: int | None = None
    delay: float = 0.0
    hits: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FaultRule:
        count = data.get("count")
        return cls(str(data["action"]), int(data.get("status", 0)), str(data.get("code", "")),
                   str(data.get("message", "")), None if count is None else int(count),
                   float(data.get("delay", 0.0)))

    @property
    def spent(self) -> bool:
        return self.count is not None and self.hits >= self.count


class FaultInjector:
    """WSGI middleware: throttling, server errors and delays on chosen API operations, for tests.

    `POST /_fuelflow/faults` with {"rules": [{"action": "DescribeStacks", "status": 400, "code": "Throttling",
    "count": 3, "delay": 0.5}, ...]} replaces the rules; `GET` shows them with their hits; `DELETE` clears
    them. Errors use the shape of the operation's protocol (the query protocol's XML ErrorResponse, or the
    JSON protocol's __type), so botocore parses and retries them as it does AWS's.

    It also makes SSM parameter writes atomic (moto checks "already exists" and writes in two steps, which
    two threads can interleave): the run lock (fuelflow.lock) relies on PutParameter Overwrite=False
    failing for all but one writer, as it does on AWS.
    """

    _SERIAL = ("AmazonSSM.PutParameter", "AmazonSSM.DeleteParameter")

    def __init__(self, app: Any) -> None:
        self.app = app
        self.rules: list[FaultRule] = []
        self._lock = threading.Lock()
        self._ssm_writes = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") == FAULTS_PATH:
            return self._control(environ, start_response)
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        if self.rules:
            rule = self._match(environ, target)
            if rule is not None:
                if rule.delay:
                    time.sleep(rule.delay)
                if rule.status:
                    return _error_response(start_response, rule, json_protocol=bool(target))
        if target in self._SERIAL:
            with self._ssm_writes:
                return list(self.app(environ, start_response))
        return self.app(environ, start_response)

    def _match(self, environ: dict[str, Any], target: str) -> FaultRule | None:
        action = target.rsplit(".", 1)[-1] if target else _query_action(environ)
        if not action:
            return None
        with self._lock:
            for rule in self.rules:
                if rule.action == action and not rule.spent:
                    rule.hits += 1
                    return rule
        return None

    def _control(self, environ: dict[str, Any], start_response: Any) -> Any:
        method = environ.get("REQUEST_METHOD")
        with self._lock:
            if method == "POST":
                try:
                    length = int(environ.get("CONTENT_LENGTH") or 0)
                    document = json.loads(environ["wsgi.input"].read(length) or b"{}")
                    self.rules = [FaultRule.from_dict(r) for r in document.get("rules", [])]
                except (ValueError, KeyError, TypeError) as exc:
                    return _json_response(start_response, "400 Bad Request", {"error": str(exc)})
            elif method == "DELETE":
                self.rules = []
            body = {"rules": [dict(r.__dict__) for r in self.rules]}
        return _json_response(start_response, "200 OK", body)


def _query_action(environ: dict[str, Any]) -> str:
    """The Action of a query-protocol request (form body or query string); the body is put back."""
    from urllib.parse import parse_qs

    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    if "Action" in query:
        return query["Action"][0]
    if "x-www-form-urlencoded" not in str(environ.get("CONTENT_TYPE", "")):
        return ""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0]


def _json_response(start_response: Any, status: str, document: Any) -> list[bytes]:
    body = json.dumps(document).encode()
    start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def _error_response(start_response: Any, rule: FaultRule, json_protocol: bool) -> list[bytes]:
    from http import HTTPStatus

    code = rule.code or ("Throttling" if rule.status == 400 else "InternalFailure")
    message = rule.message or f"injected by {FAULTS_PATH}"
    if json_protocol:
        body = json.dumps({"__type": code, "message": message}).encode()
        content_type = "application/x-amz-json-1.1"
    else:
        kind = "Sender" if rule.status < 500 else "Receiver"
        body = (f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{message}</Message>"
                f"</Error><RequestId>fuelflow-fault</RequestId></ErrorResponse>").encode()
        content_type = "text/xml"
    try:
        phrase = HTTPStatus(rule.status).phrase
    except ValueError:
        phrase = "Error"
    start_response(f"{rule.status} {phrase}", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def set_faults(endpoint_url: str, rules: list[dict[str, Any]]) -> dict[str, Any]:
    """Replace the fault rules of the fuelflow emulator at `endpoint_url` (empty list: none); its answer."""
    request = urllib.request.Request(f"{endpoint_url.rstrip('/')}{FAULTS_PATH}", method="POST",
                                     data=json.dumps({"rules": rules}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read().decode())
    return answer


def get_faults(endpoint_url: str) -> dict[str, Any]:
    """The fault rules of the emulator at `endpoint_url`, with how often each was applied."""
    with urllib.request.urlopen(f"{endpoint_url.rstrip('/')}{FAULTS_PATH}", timeout=10) as response:
        answer: dict[str, Any] = json.loads(response.read().decode())
    return answer
