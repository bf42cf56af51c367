"""The crawler behind test_crawler.py: it requests every route of the extension with valid,
missing, huge and malformed ids, junk query strings and junk form fields, and records each 5xx
answer and each exception escaping a view (TESTING=True lets them propagate through the test
client) instead of stopping at the first, so one run lists everything that breaks."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import sqlalchemy as sa

from tests.helpers import csrf_token

HUGE = "99999999999999999999"
MISSING = "424242"
#: Ids no route should choke on: zero-padded, a leading space, digit groups, letters, a sign, NUL.
MALFORMED = ("001", " 1", "1_0", "abc", "-1", "\x00")
#: A search of 5,000 characters made of LIKE's wildcards and its escape character.
LONG_SEARCH = ("%_\\" * 1667)[:5000]
GET_QUERIES = (
    f"run={HUGE}",
    "run=abc",
    "run=8&run_id=1",
    "_method=DELETE",
    "_external=1&_anchor=x",
    f"selected={HUGE}",
    "q=" + quote("%_\\'\"\x00"),
    "q=" + quote(LONG_SEARCH),
    "contact=001",
    "contact=%00",
    "show_hidden=1&show_synced=1&hide_synced=1",
    "items=none&source=%00&side=%00",
)
#: A POST's query string only travels on into its redirect (the form's filters, kept).
POST_QUERIES = (
    f"run={HUGE}",
    "run=8&run_id=1",
    "_method=DELETE",
    "_external=1&_anchor=x",
    "show_hidden=1&show_synced=1&hide_synced=1",
)
SCORES = ("abc", "1e309", "-5", "101", "", "nan", "-1e309")
#: Within a state, the POSTs that change the connection go last, disconnecting the very last.
LAST = ("wsqb.connection_connect", "wsqb.connection_switch_confirm", "wsqb.connection_disconnect")
RUN_THREAD = "wsqb-run-"


@dataclass(frozen=True)
class Variants:
    """How much to ask: everything (SQLite), or a smaller sample (PostgreSQL, to keep time)."""

    malformed: tuple[str, ...] = MALFORMED
    get_queries: tuple[str, ...] = GET_QUERIES
    post_queries: tuple[str, ...] = POST_QUERIES
    junk_forms: int = 0  # 0: enough for every junk customer id and every junk score


QUICK = Variants(
    malformed=("\x00", "abc", " 1", "001"),
    get_queries=(
        f"run={HUGE}",
        "run=8&run_id=1",
        "_method=DELETE",
        "q=" + quote("%_\\'\"\x00"),
        "q=" + quote(LONG_SEARCH),
        "contact=%00",
        "items=none&source=%00&side=%00",
    ),
    post_queries=(f"run={HUGE}", "_method=DELETE"),
    junk_forms=5,
)


@dataclass(frozen=True)
class Failure:
    state: str
    method: str
    route: str  # the rule, e.g. /setup/quickbooks/contacts/<contact_id>/sync
    url: str
    form: dict | None
    outcome: str

    def example(self) -> str:
        url = self.url if len(self.url) < 120 else self.url[:110] + f"…({len(self.url)} chars)"
        form = {k: v for k, v in (self.form or {}).items() if k != "csrf_token"}
        return f"{self.method} {url!r}" + (f" form={form!r}" if form else "")


def report(failures: list[Failure]) -> str:
    """The failures grouped by route and outcome: the states, how many, and a few examples."""
    groups: dict[tuple[str, str, str], list[Failure]] = {}
    for failure in failures:
        groups.setdefault((failure.method, failure.route, failure.outcome), []).append(failure)
    lines = [f"{len(failures)} request(s) failed, {len(groups)} distinct problem(s):"]
    for (method, route, outcome), group in groups.items():
        states = ", ".join(f"'{state}'" for state in dict.fromkeys(f.state for f in group))
        if method == "-":  # a note, not an answer
            lines.append(f"- {outcome} (in {states})")
            continue
        lines.append(f"- {method} {route} → {outcome}\n    {len(group)}× in {states}")
        lines += [f"    e.g. {example}" for example in list(dict.fromkeys(f.example() for f in group))[:3]]
    return "\n".join(lines)


def first_line(exc: BaseException | None) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:200]


def extension_rules(app) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("wsqb.") and rule.endpoint != "wsqb.static"
    ]


def all_routes(app) -> set[str]:
    """ "METHOD rule" of every route the crawl must reach."""
    return {f"{method} {rule.rule}" for rule in extension_rules(app) for method in rule.methods & {"GET", "POST"}}


def build(rule, values: dict[str, str]) -> str:
    """The rule's path with raw values (valid or not) percent-encoded into its placeholders."""
    return re.sub(r"<(?:[^:<>]+:)?(\w+)>", lambda m: quote(values[m.group(1)], safe=""), rule.rule)


def valid_ids(app) -> dict[str, list[str]]:
    """Up to two existing ids of each kind a URL names (the first and the newest)."""
    from example_app.models import Contact

    state = app.extensions["wsqb"]
    models = state.models
    columns = {
        "contact_id": Contact.id,
        "customer_id": models.Customer.customer_id,
        "proposal_id": models.MatchProposal.id,
        "event_id": models.LinkEvent.id,
        "change_id": models.Change.id,
        "run_id": models.SyncRun.id,
    }
    with app.app_context():
        found = {}
        for name, column in columns.items():
            ids = [str(v) for v in state.db.session.execute(sa.select(column).order_by(column)).scalars()]
            found[name] = list(dict.fromkeys(ids[:1] + ids[-1:]))
        return found


class Crawler:
    """Asks one app, through one client, in one connection state; failures go to ``failures``."""

    def __init__(self, app, client, state: str, failures: list[Failure], variants: Variants = Variants()):
        self.app, self.client, self.state, self.failures = app, client, state, failures
        self.variants = variants
        self.last: tuple[str, str, dict | None] = ("-", "(setting up)", None)  # blamed for a thread's crash
        self.token: str | None = None
        self.reached: set[str] = set()  # "METHOD rule" of each route that answered below 400

    # -- recording -----------------------------------------------------------------------
    def fail(self, method: str, url: str, form: dict | None, outcome: str) -> None:
        self.failures.append(Failure(self.state, method, self.route_of(method, url), url, form, outcome))

    def note(self, problem: str) -> None:
        """Something other than an answer went wrong (setting a state up, say)."""
        self.fail("-", "(setting up)", None, problem)

    def route_of(self, method: str, url: str) -> str:
        """The rule a URL reaches (its path if none)."""
        path = urlsplit(url).path
        try:
            rule, _args = self.app.url_map.bind("localhost").match(unquote(path), method=method, return_rule=True)
        except Exception:  # noqa: BLE001 - NotFound, MethodNotAllowed: keep the path
            return path
        return rule.rule

    def thread_failed(self, args) -> None:
        """threading.excepthook while crawling: a background run's crash is a failure too."""
        self.fail(*self.last, f"exception in a background run: {args.exc_type.__name__}: {first_line(args.exc_value)}")

    # -- asking --------------------------------------------------------------------------
    def request(self, method: str, url: str, form: dict | bytes | None = None, headers: dict | None = None):
        self.last = (method, url, form if isinstance(form, dict) else None)
        try:
            answer = self.client.open(url, method=method, data=form, headers=headers)
        except Exception as exc:  # noqa: BLE001 - every escaping exception is a finding
            self.fail(method, url, form, f"exception {type(exc).__name__}: {first_line(exc)}")
            return None
        if answer.status_code >= 500:
            self.fail(method, url, form, f"HTTP {answer.status_code}")
        elif answer.status_code < 400:
            self.reached.add(f"{method} {self.route_of(method, url)}")
        return answer

    def get(self, url: str):
        return self.request("GET", url)

    def post(self, url: str, form: dict | None = None):
        """A POST with the CSRF token a browser would send; waits for any run it started."""
        if self.token is None:
            self.token = csrf_token(self.client, "/contacts/new")
        answer = self.request("POST", url, {"csrf_token": self.token, **(form or {})})
        if answer is not None and answer.status_code == 400 and "CSRF" in answer.get_data(as_text=True):
            self.fail("POST", url, form, "refused for its CSRF token: the crawler did not test this route")
        self.wait_for_runs()
        return answer

    def wait_for_runs(self, timeout: float = 60.0) -> None:
        """Join the app's background run threads (no Redis here: runs are threads)."""
        deadline = time.monotonic() + timeout
        while running := [t for t in threading.enumerate() if t.name.startswith(RUN_THREAD)]:
            running[0].join(max(0.0, deadline - time.monotonic()))
            if running[0].is_alive():
                self.fail(*self.last, f"background run {running[0].name} still running after {timeout} s")
                return

    # -- what to ask ---------------------------------------------------------------------
    def ids(self, valid: list[str]) -> list[str]:
        return [*valid, MISSING, HUGE, *self.variants.malformed]

    def urls(self, rule, valid: dict[str, list[str]]) -> tuple[str | None, list[str]]:
        """The rule's URL with valid ids (None while some kind has no row), and every id variant."""
        names = sorted(rule.arguments)
        base = {name: (valid[name] or [MISSING])[0] for name in names}
        variants = [build(rule, {**base, name: value}) for name in names for value in self.ids(valid[name])]
        usable = all(valid[name] for name in names)
        return (build(rule, base) if usable else None), (variants or [build(rule, {})])

    @staticmethod
    def valid_form(valid: dict[str, list[str]]) -> dict:
        return {
            "selected": list(dict.fromkeys(valid["contact_id"] + valid["customer_id"])),
            "customer_id": (valid["customer_id"] or [MISSING])[-1],
            "score": "90",
            "choice": "switch",
            # Sync Health's Retry, and the Connection page's automatic sync settings
            "side": "app",
            "key": (valid["contact_id"] or [MISSING])[0],
            "auto_sync": "both",
            "new_customers": "create",
            "new_contacts": "export",
        }

    def forms(self, valid: dict[str, list[str]]) -> list[dict]:
        """No field, valid fields, then junk: each junk customer id with a junk score, the first
        two with a junk selection (valid ids among malformed ones, then malformed ones alone)."""
        customers = self.ids(valid["customer_id"])
        count = self.variants.junk_forms or max(len(customers), len(SCORES))
        junk = [{"customer_id": customers[i % len(customers)], "score": SCORES[i % len(SCORES)]} for i in range(count)]
        mixed = [*self.valid_form(valid)["selected"][:2], MISSING, HUGE, *MALFORMED]
        junk[0]["selected"], junk[1]["selected"] = mixed, mixed[2:]
        return [{}, self.valid_form(valid), *junk]

    def crawl(self) -> None:
        """Every GET, then every POST (connecting and disconnecting last), every variant."""
        valid = valid_ids(self.app)
        rules = extension_rules(self.app)
        runs = tuple(f"run={run}" for run in valid["run_id"])
        for rule in (r for r in rules if "GET" in r.methods):
            base, variants = self.urls(rule, valid)
            for url in variants:
                self.get(url)
            for query in (self.variants.get_queries + runs) if base else ():
                self.get(f"{base}?{query}")
        posts = sorted(
            (r for r in rules if "POST" in r.methods),
            key=lambda r: LAST.index(r.endpoint) + 1 if r.endpoint in LAST else 0,
        )
        for rule in posts:
            base, variants = self.urls(rule, valid)
            for url in variants:
                self.post(url, self.valid_form(valid))
            for form in self.forms(valid) if base else ():
                self.post(base, form)
            for query in self.variants.post_queries if base else ():
                self.post(f"{base}?{query}", self.valid_form(valid))
        self.wait_for_runs()
