"""Read a rendered page the way a reader does: sections, their text and their tables."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from django.core.management import call_command
from django.test import Client

LANGS = ("nl", "en")
_VOID = {
    "area",
    "base",
    "br",
    "col",
    "embed",
    "hr",
    "img",
    "input",
    "link",
    "meta",
    "source",
    "wbr",
}
_SPACE = re.compile(r"\s+")
# Elements that start on a new line (or cell) for a reader; inline ones run on with the text.
_BLOCK = {
    *("address", "article", "caption", "dd", "div", "dl", "dt", "h1", "h2", "h3", "h4", "li"),
    *("main", "nav", "ol", "p", "section", "table", "tbody", "td", "th", "thead", "tr", "ul"),
    *("br", "header", "footer", "body", "html", "head", "title"),
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        parts = [
            c if isinstance(c, str) else f" {c.text()} " if c.tag in _BLOCK else c.text()
            for c in self.children
        ]
        return _SPACE.sub(" ", "".join(parts)).strip()

    def walk(self) -> list[Node]:
        out: list[Node] = []
        for child in self.children:
            if isinstance(child, Node):
                out.append(child)
                out.extend(child.walk())
        return out

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag)
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def find(self, tag: str | None = None, **attrs: str) -> Node:
        found = self.find_all(tag, **attrs)
        assert found, f"no <{tag or '*'}> with {attrs}"
        return found[0]

    def rows(self) -> list[list[str]]:
        """The cells of every row of the first table inside this node, header row included."""
        table = self.find("table")
        return [
            [c.text() for c in tr.walk() if c.tag in ("th", "td")] for tr in table.find_all("tr")
        ]

    def items(self) -> list[str]:
        return [li.text() for li in self.find_all("li")]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Node:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def statement(client: Client, lang: str, url: str = "/privacy") -> Node:
    response = client.get(url, {"lang": lang})
    assert response.status_code == 200, response.status_code
    return parse(response.content.decode())


def clause(page: Node, number: str) -> Node:
    """Every part of the statement marked as covering clause ``number`` (e.g. "C5")."""
    parts = [n for n in page.walk() if number in n.attrs.get("data-clause", "").split()]
    assert parts, f"the statement has no section for {number}"
    return Node("#clause", children=list(parts))


def purpose(page: Node, key: str) -> Node:
    return page.find("section", data_purpose=key)


def definitions(node: Node) -> dict[str, str]:
    """A purpose's ``<dl>`` as {term: description}."""
    out: dict[str, str] = {}
    term = ""
    for child in node.find("dl").walk():
        if child.tag == "dt":
            term = child.text()
        elif child.tag == "dd":
            out[term] = child.text()
    return out


def apply_policy() -> str:
    """``waarborg policy apply``: records the policy in force as a version (pages never do)."""
    out = io.StringIO()
    call_command("policy", "apply", stdout=out)
    return out.getvalue()


def register_csv(lang: str) -> list[list[str]]:
    out = io.StringIO()
    call_command("register", format="csv", lang=lang, stdout=out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def register_html(lang: str) -> str:
    out = io.StringIO()
    call_command("register", format="html", lang=lang, stdout=out)
    return out.getvalue()


CATALOGUE = Path(__file__).resolve().parents[1] / "locale" / "nl" / "LC_MESSAGES" / "django.po"


def catalogue() -> list[tuple[str, str]]:
    """(msgid, msgstr) of every entry of the policy app's Dutch catalogue; it must have no fuzzy
    and no untranslated entry."""
    text = CATALOGUE.read_text(encoding="utf-8")
    assert "#, fuzzy" not in text
    entries = []
    for block in text.split("\n\n")[1:]:
        strings = re.findall(r'^(msgid|msgstr(?:\[0\])?) ((?:".*"\n?)+)', block + "\n", re.M)
        found = {k: "".join(re.findall(r'"(.*)"', v)) for k, v in strings}
        if "msgid" in found:
            entries.append((found["msgid"], found.get("msgstr", found.get("msgstr[0]", ""))))
    assert entries and all(msgstr for _, msgstr in entries)
    return entries


def untranslated_in(dutch_text: str) -> list[str]:
    """The English sentences of the catalogue (four words or more) found in a Dutch page: a text
    left out of the catalogue or a stale compiled catalogue shows up here."""
    english = [m for m, s in catalogue() if m != s and len(m.split()) >= 4 and "%(" not in m]
    assert len(english) > 20
    return [m for m in english if re.sub(r"<[^>]+>", "", m) in dutch_text]
