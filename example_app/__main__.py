"""``python -m example_app [--port 5000]``: run the demo host on 127.0.0.1."""

from __future__ import annotations

import argparse

from example_app import create_app, demo


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m example_app", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=5000, help="port to listen on (default 5000)")
    parser.add_argument("--debug", action="store_true", help="Flask debug mode (debugger, no reloader)")
    args = parser.parse_args(argv)
    app = create_app()
    demo.deliver_webhooks(app, f"http://{args.host}:{args.port}")
    print(
        f"Open http://{args.host}:{args.port}/ — then Setup → QuickBooks → Connection → Connect to QuickBooks",
        flush=True,
    )
    # No reloader: it would start a second process with a second emulator on the same state file.
    app.run(host=args.host, port=args.port, debug=args.debug, use_reloader=False)


if __name__ == "__main__":
    main()
