"""Run the emulator in the foreground: ``python -m flask_wsqb.testing [--port 8765]``."""

from __future__ import annotations

import argparse
import signal
import threading

from .company import NESTED_SPARSE
from .emulator import QBOEmulator


def main(argv: list[str] | None = None) -> None:
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
    args = parser.parse_args(argv)
    emulator = QBOEmulator(
        host=args.host,
        port=args.port,
        throttle=args.throttle,
        deleted_suffix=args.deleted_suffix,
        nested_sparse=args.nested_sparse,
        state_file=args.state_file,
    )
    if args.seed and not emulator.restored:
        emulator.seed_customers(args.seed, seed=args.seed)
    # Ctrl+C or a TERM at any moment (even before the loop below) stops the server cleanly, so
    # the state file is saved and the exit status is 0.
    stopping = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopping.set())
    with emulator:
        access, refresh = emulator.issue_tokens()
        print(f"Discovery URL : {emulator.discovery_url}")
        print(f"API URL       : {emulator.api_url}")
        print(f"Client id     : {emulator.client_id}")
        print(f"Client secret : {emulator.client_secret}")
        print(f"Realm id      : {emulator.realm_id}")
        print(f"Access token  : {access}")
        print(f"Refresh token : {refresh}")
        if emulator.state_file is not None:
            print(
                f"State file    : {emulator.state_file} "
                f"({'restored' if emulator.restored else 'new'}, saved after every change)"
            )
        print("Ctrl+C to stop.", flush=True)
        stopping.wait()


if __name__ == "__main__":
    main()
