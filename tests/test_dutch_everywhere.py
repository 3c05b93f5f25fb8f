"""§7.6 Dutch everywhere: every page each role can open, and every error the API answers, is
Dutch in the Dutch UI. The sweep's world (two centrals, every role) is walked again: each page's
visible text (and the texts of titles, labels and placeholders) and each API error's message must
hold no word from a list of English words that Dutch does not share. Names and codes the data
holds (an organisation called "Provider 3", a task type code) are not the UI's and are left out."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest

from central.extensions import db
from tests.test_sweep import (  # noqa: F401 - centrals is a fixture
    ROLES,
    centrals,
    fill,
    is_tenant_bound,
    signed_in,
    swept_rules,
)

# English words that are not also Dutch words (so "in", "is", "of", "open", "status" are not here).
ENGLISH = {
    "the", "and", "with", "your", "you", "this", "that", "are", "have", "has", "from", "which",
    "will", "there", "their", "should", "would", "could", "please", "save", "cancel", "delete",
    "edit", "search", "back", "next", "previous", "page", "round", "rounds", "task", "tasks",
    "provider", "providers", "member", "members", "framework", "frameworks", "none", "yes",
    "not", "for", "to", "on", "by", "or", "no", "new", "add", "remove", "show", "sign", "year",
    "month", "day", "days", "date", "amount", "total", "price", "prices", "assets",
    "asset", "needs", "need", "report", "reports", "statement", "statements", "invoice", "jobs",
    "job", "run", "runs", "queued", "running", "failed", "succeeded", "planned", "assigned",
    "overdue", "accepted", "cancelled", "unknown", "empty", "required", "invalid", "valid",
    "found", "allowed", "must", "only", "when", "where", "what", "who", "how", "all", "each",
    "every", "than", "more", "less", "at", "least", "most", "about", "after", "before",
}  # fmt: skip
# Words; a code (`road_sign`, `mark-overdue`) is one token and not a word of the UI.
WORD = re.compile(r"[A-Za-zÀ-ÿ]+(?:[-_][A-Za-zÀ-ÿ0-9]+)*")


class _Text(HTMLParser):
    """Visible text and the attribute texts a user reads, without scripts, styles and the
    data's own names (marked by the templates as `translate="no"`, or in <code>)."""

    SKIP = {"script", "style", "code", "pre", "svg"}
    READ = ("title", "aria-label", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag in self.SKIP or attributes.get("translate") == "no":
            if tag not in ("br", "img", "input", "meta", "link"):
                self.skipping.append(tag)
            return
        if not self.skipping:
            self.parts.extend(attributes[a] for a in self.READ if attributes.get(a))
            if tag == "input" and attributes.get("type") in ("submit", "button"):
                self.parts.append(attributes.get("value") or "")

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


# A date written as 2026-12-05 (or 05/12/2026) instead of "5 dec 2026": not the nl-BE form.
FOREIGN_DATE = re.compile(r"\b(?:\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4})\b")


def english_in(text: str, data_names: set[str]) -> set[str]:
    for name in data_names:
        text = text.replace(name, " ")
    words = {w for w in WORD.findall(text) if w.lower() in ENGLISH}  # codes never match
    return words | set(FOREIGN_DATE.findall(text))


def _checklist_labels(task_type) -> list[str]:
    return [item.get("label", "") for item in task_type.checklist or []]


def page_text(body: str) -> str:
    parser = _Text()
    parser.feed(body)
    return html.unescape(" ".join(parts for parts in parser.parts if parts))


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"] + ["admin"])
def test_every_page_and_api_error_is_dutch(app, client, login_as, centrals, role):  # noqa: F811
    own, other, _admin = centrals
    api_headers = signed_in(role, centrals, login_as)
    from central.accounts.models import User
    from central.frameworks.models import Framework, Lot, TaskType
    from central.organisations.models import Organisation

    data_names = (
        {o.name for o in db.session.query(Organisation)}
        | {u.email for u in db.session.query(User)}
        | {f.title for f in db.session.query(Framework)}
        | {f.reference for f in db.session.query(Framework)}
        | {lot.title for lot in db.session.query(Lot)}
        | {t.name for t in db.session.query(TaskType)}
        | {label for t in db.session.query(TaskType) for label in _checklist_labels(t)}
    )
    found: dict[str, set[str]] = {}
    pages = 0
    for rule in swept_rules(app):
        if "GET" not in rule.methods:
            continue
        api = rule.rule.startswith("/api/v1/")
        for tenant in [own, other] if is_tenant_bound(rule) else [own]:
            path = fill(rule, role, tenant)
            response = client.get(path, headers=api_headers if api else {})
            if api:
                if response.status_code >= 400 and response.is_json:
                    error = response.get_json()["error"]
                    texts = [error["message"]] + [
                        m for ms in (error.get("fields") or {}).values() for m in ms
                    ]
                    words = english_in(" ".join(texts), data_names)
                    if words:
                        found[f"{path} {response.status_code}"] = words
                continue
            if response.mimetype != "text/html" or 300 <= response.status_code < 400:
                continue  # a redirect's body is never shown
            pages += 1
            body = response.get_data(as_text=True)
            if '<html lang="nl"' not in body:
                found[f"{path} {response.status_code}"] = {"<html lang> is not nl"}
            words = english_in(page_text(body), data_names)
            if words:
                found[f"{path} {response.status_code}"] = words
    assert pages > (3 if role == "anonymous" else 20)
    assert not found, "\n".join(f"{k}: {sorted(v)}" for k, v in sorted(found.items()))
