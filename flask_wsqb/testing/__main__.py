"""Run the emulator in the foreground: ``python -m flask_wsqb.testing [--port 8765]``."""

from __future__ import annotations

import argparse
import signal
import threading

from .company import NESTED_SPARSE
from .emulator import QBOEmulator
from .webhooks import FORMATS


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m flask_wsqb.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--seed",
        type=int,
        metavar="N",
        default=0,
        help="create N realistic customers (not when --state-file already exists)",
    )
    parser.add_argument("--throttle", action="store_true", help="enforce QBO's request limits")
    parser.add_argument("--deleted-suffix", action="store_true", help='rename inactive customers "Name (deleted)"')
    parser.add_argument(
        "--nested-sparse",
        choices=NESTED_SPARSE,
        default="replace",
        help="what a sparse update does with a nested object such as BillAddr: "
        "replace it whole (default) or merge the parts sent into it",
    )
    parser.add_argument(
        "--state-file", metavar="PATH", help="keep the companies, credentials and tokens in PATH across restarts"
    )
    parser.add_argument(
        "--webhook-url", metavar="URL", help="POST a signed notification of every customer change to URL"
    )
    parser.add_argument(
        "--webhook-verifier-token",
        metavar="TOKEN",
        help="the verifier token that signs notifications (default: random)",
    )
    parser.add_argument("--webhook-format", choices=FORMATS, default="cloudevents", help="the notifications' format")
    parser.add_argument(
        "--webhook-delay",
        type=float,
        metavar="SECONDS",
        default=1.0,
        help="how long changes wait before they are notified, together (default 1)",
    )
    return parser


def emulator(args: argparse.Namespace) -> QBOEmulator:
    """The emulator the command line asks for, seeded but not started."""
    built = QBOEmulator(
        host=args.host,
        port=args.port,
        throttle=args.throttle,
        deleted_suffix=args.deleted_suffix,
        nested_sparse=args.nested_sparse,
        state_file=args.state_file,
        webhook_url=args.webhook_url,
        webhook_verifier_token=args.webhook_verifier_token,
        webhook_format=args.webhook_format,
        webhook_delay=args.webhook_delay,
    )
    if args.seed and not built.restored:
        built.seed_customers(args.seed, seed=args.seed)
    return built


def startup_lines(running: QBOEmulator) -> list[str]:
    """What a developer needs to point an app at the running emulator, a "Name : value" a line."""
    access, refresh = running.issue_tokens()
    lines = [
        f"Discovery URL : {running.discovery_url}",
        f"API URL       : {running.api_url}",
        f"Client id     : {running.client_id}",
        f"Client secret : {running.client_secret}",
        f"Realm id      : {running.realm_id}",
        f"Access token  : {access}",
        f"Refresh token : {refresh}",
    ]
    if running.state_file is not None:
        state = "restored" if running.restored else "new"
        lines.append(f"State file    : {running.state_file} ({state}, saved after every change)")
    if running.webhook_url is not None:
        lines.append(f"Webhook URL   : {running.webhook_url} ({running.webhook_format})")
        lines.append(f"Webhook token : {running.webhook_verifier_token}")
    return lines


def main(argv: list[str] | None = None) -> None:
    qbo = emulator(argument_parser().parse_args(argv))
    # Ctrl+C or a TERM at any moment (even before the loop below) stops the server cleanly, so
    # the state file is saved and the exit status is 0.
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with qbo:
        print("\n".join(startup_lines(qbo)))
        print("Ctrl+C to stop.", flush=True)
        stopping.wait()


if __name__ == "__main__":
    main()
