"""``antrean demo``: the whole system on one machine.

Embedded broker (with an MQTT account per node, generated in the data folder, as on a site), SQLite, the
PCare simulator, the hub with its web, a kiosk, a display and a counter node per loket, all on free ports.
Nodes show windows when a display is available ($DISPLAY) and run headless otherwise; a simulated patient
takes numbers at the kiosk and simulated loket staff press CALL. Every step is printed, with a progress line.
Ctrl-C stops everything."""

from __future__ import annotations

import argparse
import fcntl
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import IO

from antrean.helptext import plain
from benchmarks.harness import HubProcess, user_add_args
from hub.broker import free_port
from protocol import DisplayState, MqttLink, Topics

SITE = "demo"
LOKETS = (1, 2)
NODES = ("kiosk-1", "display-1", "counter-1")
WATCHER = "demo-watch"  # the progress lines: a read-only account like a display's
LOCK_FILE = ".demo.lock"  # held while a demo runs in the folder


def _wait_port(port: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


class Child:
    """A node process whose output lines are printed with a label."""

    def __init__(self, label: str, argv: list[str], env: dict[str, str], *, stdin: bool = False) -> None:
        self.label = label
        self.process = subprocess.Popen(
            argv,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            text=True,
            bufsize=1,
            start_new_session=True,  # Ctrl-C reaches the demo only; it stops the nodes in order
        )
        threading.Thread(target=self._pump, args=(self.process.stdout,), daemon=True).start()

    def _pump(self, stream: IO[str] | None) -> None:
        if stream is None:
            return
        for line in stream:
            say(f"[{self.label}] {line.rstrip()}")

    def write(self, line: str) -> None:
        if self.process.stdin is not None and self.process.poll() is None:
            try:
                self.process.stdin.write(line + "\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError):
                pass

    def terminate(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        """Until ``deadline`` (monotonic), then SIGKILL."""
        try:
            self.process.wait(max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def stop_all(children: Sequence[Child], within: float) -> None:
    """SIGTERM to all at once, each waited for until the common deadline."""
    for child in children:
        child.terminate()
    deadline = time.monotonic() + within
    for child in children:
        child.wait(deadline)


def clean_old_demos(root: Path) -> int:
    """Remove earlier demos' temporary folders (``antrean-demo-*``) that no running demo holds; the count."""
    removed = 0
    for folder in root.glob("antrean-demo-*"):
        if not folder.is_dir() or folder.is_symlink() or time.time() - folder.stat().st_mtime < 60:
            continue
        try:
            with open(folder / LOCK_FILE, "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                shutil.rmtree(folder)
                removed += 1
        except OSError:  # held by a running demo, or not ours to remove
            continue
    return removed


_print_lock = threading.Lock()


def say(text: str) -> None:
    with _print_lock:
        sys.stdout.write(text + "\n")
        sys.stdout.flush()


def run_quietly(argv: list[str], env: dict[str, str]) -> None:
    """A set-up command whose output is shown only when it fails."""
    done = subprocess.run(argv, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"antrean demo: {' '.join(argv[2:4])} failed (exit {done.returncode})")


def write_config(path: Path, data_dir: Path, broker_port: int, web_port: int, pcare_url: str) -> None:
    from hub.bpjs.simulator import hub_toml

    path.write_text(
        f"""site = "{SITE}"
data_dir = "{data_dir}"
log_level = "INFO"

[broker]
host = "127.0.0.1"
port = {broker_port}
password_file = "{data_dir / "mqtt.passwd"}"
acl_file = "{data_dir / "mqtt.acl"}"

[web]
host = "127.0.0.1"
port = {web_port}
public_url = "http://127.0.0.1:{web_port}"

[queue]
# the demo is open at any hour; a real puskesmas keeps 07:30-14:00
operating_start = "00:00"
operating_end = "00:00"
reset_time = "00:00"

{hub_toml(pcare_url)}""",
        encoding="utf-8",
    )


def write_accounts(data_dir: Path, broker_port: int) -> dict[str, str]:
    """An MQTT account per simulated node (random passwords) and the site's ACL, in the data folder;
    returns each node's broker URL, credentials included."""
    from hub.mqttauth import set_password
    from hub.mqttauth.template import site_acl

    urls: dict[str, str] = {}
    for user in (*NODES, WATCHER):
        password = secrets.token_urlsafe(18)
        set_password(data_dir / "mqtt.passwd", user, password)
        urls[user] = f"mqtt://{user}:{password}@127.0.0.1:{broker_port}"
    acl = site_acl(SITE, kiosks=["kiosk-1"], counters=["counter-1"], displays=["display-1", WATCHER])
    (data_dir / "mqtt.acl").write_text(acl, encoding="utf-8")
    return urls


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="antrean demo", description=plain(__doc__), formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", help="keep the demo's database here (default: a new temporary folder)")
    parser.add_argument(
        "--duration", type=float, default=0, help="stop after this many seconds (0: run until Ctrl-C)"
    )
    parser.add_argument("--headless", action="store_true", help="no windows even if a display is available")
    parser.add_argument(
        "--call-every", type=float, default=8.0, help="seconds between simulated CALL presses"
    )
    args = parser.parse_args(argv)

    os.umask(0o077)  # accounts, keys and the database: the demo's files are private like a site's
    removed = clean_old_demos(Path(tempfile.gettempdir()))
    data_dir = Path(args.data_dir) if args.data_dir else Path(tempfile.mkdtemp(prefix="antrean-demo-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = open(data_dir / LOCK_FILE, "a")  # noqa: SIM115  (held until the process ends)
    fcntl.flock(lock, fcntl.LOCK_EX)
    if removed:
        say(f"removed {removed} old demo folder(s) from {tempfile.gettempdir()}")
    screens = {"kiosk": data_dir / "kiosk.png", "display": data_dir / "display.png"}
    broker_port, web_port, pcare_port = free_port(), free_port(), free_port()
    mqtt_url = f"mqtt://127.0.0.1:{broker_port}"
    urls = write_accounts(data_dir, broker_port)
    pcare_url = f"http://127.0.0.1:{pcare_port}/pcare-rest"
    config = data_dir / "hub.toml"
    write_config(config, data_dir, broker_port, web_port, pcare_url)

    env = dict(os.environ)
    env.setdefault("ANTREAN_LOG_LEVEL", "WARNING")
    env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    if args.headless or not env.get("DISPLAY"):
        env.pop("DISPLAY", None)
        env.pop("WAYLAND_DISPLAY", None)
        env["SDL_VIDEODRIVER"] = "dummy"
        env["SDL_AUDIODRIVER"] = "dummy"
    antrean = [sys.executable, "-m", "antrean"]
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    from hub.bpjs.simulator import DEMO_CREDENTIALS as cred

    children: list[Child] = []
    hub: HubProcess | None = None
    try:
        children.append(
            Child(
                "pcare",
                [
                    *antrean,
                    "bpjs",
                    "sim",
                    "--port",
                    str(pcare_port),
                    "--cons-id",
                    cred.cons_id,
                    "--secret",
                    cred.secret,
                    "--user-key",
                    cred.user_key,
                    "--username",
                    cred.username,
                    "--password",
                    cred.password,
                    "--log-level",
                    "WARNING",
                ],
                env,
            )
        )
        if not _wait_port(pcare_port):
            say("PCare simulator did not start; continuing without it")
        password = "Demo-" + secrets.token_hex(3) + "!9"
        run_quietly([*antrean, "db", "upgrade", "--config", str(config)], env)
        for username, role, loket in (
            ("admin", "admin", None),
            ("loket1", "receptionist", 1),
            ("loket2", "receptionist", 2),
        ):
            extra = ["--counter", str(loket)] if loket else []
            run_quietly(
                [*antrean, "user", *user_add_args(config, username, role, password, "--update", *extra)], env
            )
        hub = HubProcess(config, data_dir / "hub.log")
        hub.start()

        def common(node: str) -> list[str]:
            return ["--site", SITE, "--node-id", node]

        def node_env(node: str) -> dict[str, str]:  # the URL with its password: in the environment, not argv
            return {**env, "ANTREAN_MQTT_URL": urls[node]}

        children.append(
            Child(
                "kiosk",
                [
                    *antrean,
                    "kiosk",
                    "--demo",
                    "--patient",
                    "--snapshot",
                    str(screens["kiosk"]),
                    *common("kiosk-1"),
                ],
                node_env("kiosk-1"),
            )
        )
        children.append(
            Child(
                "display",
                [*antrean, "display", "--demo", "--snapshot", str(screens["display"]), *common("display-1")],
                node_env("display-1"),
            )
        )
        lokets = [arg for n in LOKETS for arg in ("--counter", str(n))]
        counter = Child(
            "loket",
            [*antrean, "counter", "--simulate", *lokets, *common("counter-1")],
            node_env("counter-1"),
            stdin=True,
        )
        children.append(counter)

        say("")
        say("Antrean demo is running")
        say(
            f"  web (loket and admin): http://127.0.0.1:{web_port}   login admin / loket1 / loket2, "
            f"password {password}"
        )
        say(f"  loket page:            http://127.0.0.1:{web_port}/loket   (log in as loket1 or loket2)")
        say(f"  screens (PNG, every 2 s): kiosk {screens['kiosk']}, TV {screens['display']}")
        say(f"  MQTT broker:           {mqtt_url}   (site '{SITE}': topics antrean/{SITE}/#)")
        say(
            f"  MQTT accounts:         {data_dir / 'mqtt.passwd'} (one per node), ACL {data_dir / 'mqtt.acl'}"
        )
        say(f"  PCare simulator:       {pcare_url}")
        say(f"  data and logs:         {data_dir}")
        say(
            "  a simulated patient takes numbers at the kiosk; simulated staff press CALL every "
            f"{args.call_every:g} s. Ctrl-C stops everything."
        )
        say("")
        run_loop(urls[WATCHER], counter, stop, args.call_every, args.duration)
    finally:
        say("stopping ...")
        stop_all(children, within=1.5)  # the nodes (and the PCare simulator) first: none sees its hub go
        if hub is not None:
            hub.stop(timeout=1.0)
        say(f"demo stopped; data, logs and screens stay in {data_dir} (removed by the next demo)")
    return 0


def run_loop(
    mqtt_url: str, counter: Child, stop: threading.Event, call_every: float, duration: float
) -> None:
    """Press CALL at alternate lokets and print a progress line whenever the queue changes."""
    topics = Topics(SITE)
    last: list[str] = [""]

    def on_state(_topic: str, payload: bytes) -> None:
        state = DisplayState.decode(payload)
        serving = ", ".join(f"{c.name}: {c.ticket.number if c.ticket else '-'}" for c in state.counters)
        line = (
            f"[progress] issued {state.totals.issued} | waiting {state.totals.waiting} "
            f"(priority {state.remaining_priority}, general {state.remaining_general}) | {serving}"
        )
        if line != last[0]:
            last[0] = line
            say(line)

    watcher = MqttLink(mqtt_url, client_id=f"antrean-{SITE}-{WATCHER}")
    watcher.route(topics.display_state(), on_state)
    watcher.start(wait=10)
    started = time.monotonic()
    turn = 0
    try:
        while not stop.wait(call_every):
            loket = LOKETS[turn % len(LOKETS)]
            turn += 1
            counter.write(f"call {loket}")
            if duration and time.monotonic() - started >= duration:
                break
    finally:
        watcher.stop()
