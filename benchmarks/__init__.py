"""Speed measured, not timed tests: ``python -m benchmarks.run [--quick] [--db postgresql]``.

Each benchmark drives the example host app through its HTTP pages with the Flask test
client, against the QuickBooks emulator over real HTTP, and reports wall time, requests
sent to QuickBooks, SQL statements and peak memory beside a naive python-quickbooks loop.
"""
