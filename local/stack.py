"""The whole local stack in the foreground: ``python -m local.stack`` (what ``make run`` runs).

    127.0.0.1:5000  AWS stand-in (moto + End User Messaging stand-in + /_local/outbox, and
                    the dark site at /_local/site/)
    127.0.0.1:8000  the HTTP API (Chalice's local server, stage ``local``, behind the same
                    gateway responses as the deployed API: local/api_gateway.py)
    runner          drains the SQS queues into the same Chalice handlers Lambda runs

Ctrl-C (or SIGTERM) stops every process it started.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Any

from chalicelib.settings import LOCAL_CONSOLE_KEY
from local.identity import LOCAL_NUMBER

PROJECT = Path(__file__).resolve().parent.parent
LOG_DIR = PROJECT / ".local"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PortBusy(RuntimeError):
    """A port the stack needs is taken (often by another local stack)."""


def check_free(ports: dict[str, int]) -> None:
    """Refuse to start when a port is taken, before anything starts: a half-started stack
    would talk to the other one's AWS stand-in and fail later, far from the cause."""
    busy = []
    for name, port in ports.items():
        with socket.socket() as probe:
            # Like the servers themselves: a port left in TIME_WAIT by a stopped stack is free.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                busy.append(f"{name} port {port}")
    if busy:
        raise PortBusy(
            f"{' and '.join(busy)} in use on 127.0.0.1 (another local stack?). Stop it, or "
            "choose free ports: make run AWS_PORT=5300 API_PORT=8300"
        )


class LocalStack:
    """Start with ``with LocalStack(...) as stack:``; everything stops when the block ends."""

    def __init__(self, aws_port: int = 5000, api_port: int = 8000, quiet: bool = False) -> None:
        self.aws_port = aws_port
        self.api_port = api_port
        self.quiet = quiet
        self.aws_url = f"http://127.0.0.1:{aws_port}"
        self.api_url = f"http://127.0.0.1:{api_port}"
        self.site_url = f"{self.aws_url}/_local/site/"  # the dark site, from its bucket
        self._processes: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []

    def environment(self) -> dict[str, str]:
        """What the app's processes see: every AWS call goes to the stand-in."""
        env = {**os.environ}
        env.update(
            {
                "AWS_ENDPOINT_URL": self.aws_url,
                "AWS_DEFAULT_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "local",
                "AWS_SECRET_ACCESS_KEY": "local",
                "TOCSIN_STAGE": "local",
                "TOCSIN_PUBLIC_URL": self.api_url,  # acknowledgement links point here
                # A (fictional) local number for voice calls, so a plan's voice level shows in
                # the outbox as End User Messaging SendVoiceMessage calls.
                "TOCSIN_VOICE_ORIGINATION_IDENTITY": LOCAL_NUMBER,
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("AWS_PROFILE", None)
        return env

    def __enter__(self) -> LocalStack:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _start(self) -> None:
        check_free({"AWS": self.aws_port, "API": self.api_port})
        env = self.environment()
        self._spawn(
            "aws", [sys.executable, "-m", "local.aws_server", "--port", str(self.aws_port)], env
        )
        _wait_for(f"{self.aws_url}/_local/outbox", self._processes[-1])
        import boto3

        from chalicelib.settings import Settings
        from local.bootstrap import create_resources, seed, seed_console_key

        session = boto3.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        settings = Settings.from_environment(env)
        create_resources(settings, session, endpoint_url=self.aws_url)
        self.seeded = seed(settings, session, endpoint_url=self.aws_url)
        seed_console_key(settings, session, endpoint_url=self.aws_url)
        self.api_key = settings.local_api_key
        # chalice local, behind the gateway responses the deployed API has (local/api_gateway.py).
        self._spawn(
            "api",
            [sys.executable, "-m", "local.api_gateway", "--port", str(self.api_port)],
            env,
        )
        _wait_for(f"{self.api_url}/v1/events/ready", self._processes[-1], ready_status=401)
        self._spawn("runner", [sys.executable, "-m", "local.runner"], env)

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> None:
        output: IO[bytes] | None = None
        if self.quiet:
            LOG_DIR.mkdir(exist_ok=True)
            output = (LOG_DIR / f"{name}-{self.api_port}.log").open("wb")
            self._logs.append(output)
        self._processes.append(
            subprocess.Popen(
                command,
                cwd=PROJECT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT if output else None,
                start_new_session=True,  # Ctrl-C reaches us once; we stop the children ourselves
            )
        )

    def stop(self) -> None:
        for process in reversed(self._processes):
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        self._processes.clear()
        for log in self._logs:
            log.close()
        self._logs.clear()

    def outbox(self) -> list[dict[str, Any]]:
        with urllib.request.urlopen(f"{self.aws_url}/_local/outbox", timeout=5) as response:
            return list(json.load(response)["messages"])


def _wait_for(
    url: str, process: subprocess.Popen[bytes], ready_status: int = 200, timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode} while starting")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == ready_status:
                    return
        except urllib.error.HTTPError as error:
            if error.code == ready_status:
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")


NEXT_STEPS = """
Tocsin is running on the local stack.
  API            {api}      (API key: {key})
  Console        {api}/console   (sign in with Ada Example's personal key: {console_key})
  AWS stand-in   {aws}
  Dark site      {aws}/_local/site/   (feed.atom, status.json, cap.xml beside it)
  Playbook       {rules} activation rules, {plans} response plans; {contacts} example contacts

The tocsin command finds this stack with:
  export TOCSIN_AWS_ENDPOINT={aws} TOCSIN_API={api}

Try it:
  curl -sS -X POST {api}/v1/events \\
       -H 'Authorization: Bearer {key}' -H 'Content-Type: application/json' \\
       -d @examples/events/demo.json
  curl -sS {api}/v1/events/<event_id> -H 'Authorization: Bearer {key}'
  curl -sS {api}/v1/incidents/<incident_id> -H 'Authorization: Bearer {key}'
  curl -sS {aws}/_local/outbox            # every SMS, call and email handed to AWS
  curl -sS -X POST {aws}/_local/sms -d '{{"from": "+12025550101", "body": "1234 ACK"}}'
                                          # a text message as if a phone had sent it
  curl -sS -X PUT {aws}/_local/receipts -d '{{"silent": ["email"]}}'
                                          # email never reports deliveries: the next canary fails
  curl -sS -X POST {api}/v1/heartbeats/nightly-backup -H 'Authorization: Bearer {key}'
                                          # a tool says it is alive (tocsin heartbeats list)

Ctrl-C stops everything.
"""


def main() -> None:
    parser = argparse.ArgumentParser(description="Run Tocsin's local stack in the foreground.")
    parser.add_argument("--aws-port", type=int, default=5000, help="the AWS stand-in's port")
    parser.add_argument("--api-port", type=int, default=8000, help="the HTTP API's port")
    arguments = parser.parse_args()
    print(
        f"Starting the local stack (AWS stand-in on {arguments.aws_port}, API on "
        f"{arguments.api_port})...",
        flush=True,
    )

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    # A shell starts background jobs with SIGINT ignored; Ctrl-C must stop the stack regardless.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with LocalStack(arguments.aws_port, arguments.api_port) as stack:
            print(
                NEXT_STEPS.format(
                    api=stack.api_url,
                    aws=stack.aws_url,
                    key=stack.api_key,
                    console_key=LOCAL_CONSOLE_KEY,
                    rules=stack.seeded.rules,
                    plans=stack.seeded.plans,
                    contacts=stack.seeded.contacts,
                ),
                flush=True,
            )
            while True:
                time.sleep(3600)
    except PortBusy as busy:
        print(f"tocsin: {busy}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        print("\nStopping the local stack.", flush=True)


if __name__ == "__main__":
    main()
