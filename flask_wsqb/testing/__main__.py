"""Run the emulator in the foreground: ``python -m flask_wsqb.testing [--port 8765]``."""

from __future__ import annotations

import argparse
import threading

from .emulator import QBOEmulator


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flask_wsqb.testing", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--seed", type=int, metavar="N", default=0,
                        help="create N realistic customers")
    parser.add_argument("--throttle", action="store_true", help="enforce QBO's request limits")
    parser.add_argument("--deleted-suffix", action="store_true",
                        help='rename inactive customers "Name (deleted)"')
    args = parser.parse_args(argv)
    emulator = QBOEmulator(host=args.host, port=args.port, throttle=args.throttle,
                           deleted_suffix=args.deleted_suffix)
    if args.seed:
        emulator.seed_customers(args.seed, seed=args.seed)
    with emulator:
        access, refresh = emulator.issue_tokens()
        print(f"Discovery URL : {emulator.discovery_url}")
        print(f"API URL       : {emulator.api_url}")
        print(f"Client id     : {emulator.client_id}")
        print(f"Client secret : {emulator.client_secret}")
        print(f"Realm id      : {emulator.realm_id}")
        print(f"Access token  : {access}")
        print(f"Refresh token : {refresh}")
        print("Ctrl+C to stop.", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
