"""Nothing active, nothing secret, nothing out of scope reaches a docs page.

Known XSS payloads go into every field a page shows (names, tags, descriptions, example bodies,
handshake rows, variable values, the search box); an HTML parser then checks each page for
active markup. A scoped link's pages are walked link by link, and none may show an endpoint
outside its scope, another link's token, a member's email, a secret or a private value.
"""

from __future__ import annotations

import json
import re
from collections import deque
from html import unescape
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax.saxutils import escape as xml_escape

import pytest
from django.contrib.auth import get_user_model

from endpoints.environments.services import variable_create
from endpoints.projects.services import project_update
from endpoints.tree.services import endpoint_create, folder_create
from tests.docs_app.conftest import GLOBAL_SECRET_VALUE, PRIVATE_VALUE, SECRET_VALUE

XSS_PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<svg/onload=alert(1)>",
    '"><script>alert(1)</script>',
    "'><img src=x onerror=alert(1)>",
    '<iframe src="javascript:alert(1)"></iframe>',
    "<body onload=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "![img](javascript:alert(1))",
    '<a href="jav&#x09;ascript:alert(1)">x</a>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    "<style>body{display:none}</style>",
    "<link rel=stylesheet href=//evil.example/x.css>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)">',
    '<form action="javascript:alert(1)"><button>x</button></form>',
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<template><script>alert(1)</script></template>",
    '<base href="javascript:alert(1)//">',
    "{{constructor.constructor('alert(1)')()}}",
    "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<video><source onerror="alert(1)"></video>',
    '<!--<img src="--><img src=x onerror=alert(1)//">',
    "javascript:alert(1)",
    "<a href=vbscript:msgbox(1)>x</a>",
    '<svg><a xlink:href="javascript:alert(1)"><text x=20 y=20>x</text></a></svg>',
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    '<a href="#" onclick="alert(1)">x</a>',
    "<<script>script>alert(1)<</script>/script>",
    '<img src="x` `<script>alert(1)</script>"` `>',
    '<a href="javascript&colon;alert(1)">x</a>',
]

SAFE_SCHEMES = ("http:", "https:", "mailto:", "ws:", "wss:")
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "srcset"}
NEVER = {
    "iframe", "object", "embed", "style", "base", "frame", "frameset", "applet", "svg",
    "math", "template", "noscript", "video", "audio", "source", "textarea", "select",
}  # fmt: skip


class ActiveMarkup(HTMLParser):
    """Finds anything in a page that could run or load code an attacker chose."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in NEVER:
            self.problems.append(f"<{tag}> element")
        if tag == "script":
            self.scripts += 1
            if values.get("src") != "/static/docs_app/docs.js":
                self.problems.append(f"script {values}")
        if tag == "link" and not values.get("href", "").startswith("/static/docs_app/"):
            self.problems.append(f"link {values}")
        if tag == "meta" and (
            "http-equiv" in values
            or (
                values.get("name") not in {None, "viewport", "robots", "referrer"}
                and "charset" not in values
            )
        ):
            self.problems.append(f"meta {values}")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler {name} on <{tag}>")
            if name in {"style", "srcdoc"}:
                self.problems.append(f"{name} attribute on <{tag}>")
            if name in URL_ATTRIBUTES:
                target = re.sub(r"[\x00-\x20]", "", unescape(value)).lower()
                scheme = re.match(r"^[a-z][a-z0-9+.\-]*:", target)
                if scheme and not target.startswith(SAFE_SCHEMES):
                    self.problems.append(f"{name}={value!r} on <{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def active_markup(html: str) -> list[str]:
    parser = ActiveMarkup()
    parser.feed(html)
    parser.close()
    if parser.scripts != 1 and "This link is not available" not in html:
        parser.problems.append(f"{parser.scripts} script elements")
    return parser.problems


def test_the_checker_catches_what_it_should():
    page = '<script src="/static/docs_app/docs.js"></script>'
    assert active_markup(page) == []
    for bad in XSS_PAYLOADS[:9]:
        assert active_markup(page + bad), bad


def xml_body(payload: str) -> str:
    attribute = xml_escape(payload, {'"': "&quot;"})
    return f'<m a="{attribute}">{xml_escape(payload)}</m>'


@pytest.fixture
def poisoned(docs: Any) -> dict[str, Any]:
    """One endpoint per payload, with the payload in every field a page shows."""
    project, admin = docs.team.project, docs.team.admin
    project_update(project=project, name="<b>Trading</b> <script>alert(1)</script>",
                            description="\n\n".join(XSS_PAYLOADS))  # fmt: skip
    variable_create(
        project=project,
        actor=admin,
        name="evil",
        environment_id=docs.environment.pk,
        initial_value='"><script>alert(1)</script>',
    )
    folder = folder_create(project=project, actor=admin, name=XSS_PAYLOADS[1])
    created = []
    for index, payload in enumerate(XSS_PAYLOADS):
        created.append(
            endpoint_create(
                project=project,
                actor=admin,
                data={
                    "name": payload[:200],
                    "url": "wss://h.example/{{evil}}/" + str(index),
                    "folder": folder.pk if index % 2 else None,
                    "tags": [payload[:64], f"t{index}"],
                    "description": f"{payload}\n\n*{payload}*\n\n> {payload}\n\n`{payload}`",
                    "params": [{"name": payload, "value": payload, "description": payload}],
                    "headers": [
                        {"name": "X-Evil", "value": payload, "description": payload},
                        {"name": "X-Var", "value": "{{evil}}", "description": ""},
                    ],
                    "cookies": [{"name": "c", "value": payload, "description": payload}],
                    "messages": [
                        {"name": payload, "format": "text", "body": payload,
                         "description": payload},
                        {"name": "json", "format": "json", "body": json.dumps({"x": payload})},
                        {"name": "xml", "format": "xml", "body": xml_body(payload)},
                        {"name": "html", "format": "html", "body": payload},
                        {"name": "var", "format": "text", "body": "{{evil}}"},
                    ],
                },
            )
        )  # fmt: skip
    assert len(XSS_PAYLOADS) >= 30
    return {"endpoints": created}


def test_no_payload_becomes_active_markup(docs, poisoned, browser):
    _, token = docs.link(environment_id=docs.environment.pk, show_assignee=True)
    base = f"/share/{token}/"
    pages = [base, f"{base}?q=alert", f"{base}?q=%3Cscript%3Ealert(1)%3C/script%3E"]
    pages += [f"{base}?q={payload}" for payload in XSS_PAYLOADS[:5]]
    pages += [f"{base}endpoints/{endpoint.pk}/" for endpoint in poisoned["endpoints"]]
    for url in pages:
        response = browser.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert active_markup(html) == [], (url, active_markup(html))
    # the text is still there, shown as text
    first = poisoned["endpoints"][0]
    html = browser.get(f"{base}endpoints/{first.pk}/").content.decode()
    assert "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html.split('class="example"', 1)[1]


def test_markdown_and_text_variants_are_never_served_as_html(docs, poisoned, browser):
    _, token = docs.link(environment_id=docs.environment.pk)
    base = f"/share/{token}/"
    urls = [f"{base}index.md", f"{base}llms.txt"]
    urls += [f"{base}endpoints/{endpoint.pk}.md" for endpoint in poisoned["endpoints"]]
    for url in urls:
        response = browser.get(url)
        assert response.status_code == 200
        assert response["Content-Type"].split(";")[0] in {"text/markdown", "text/plain"}
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]


def test_the_password_form_and_missing_page_resist_payloads(docs, browser):
    _, token = docs.link(password="correct horse")
    for payload in XSS_PAYLOADS:
        response = browser.post(f"/share/{token}/unlock/", {"password": "x", "next": payload})
        assert active_markup(response.content.decode()) == []
    _, open_token = docs.link(name="open")
    for payload in XSS_PAYLOADS[:10]:
        html = browser.get(f"/share/{open_token}/endpoints/999999/", {"q": payload}).content
        assert active_markup(html.decode()) == []


# --- scope ----------------------------------------------------------------------------------


def walk(browser: Any, base: str) -> dict[str, str]:
    """Every page reachable from the index by following links inside the share link."""
    seen: dict[str, str] = {}
    queue = deque([base])
    while queue and len(seen) < 200:
        url = queue.popleft()
        if url in seen:
            continue
        response = browser.get(url)
        assert response.status_code == 200, url
        body = response.content.decode()
        seen[url] = body
        for href in re.findall(r'href="([^"#]*)', body) + re.findall(r"\]\(([^)]+)\)", body):
            target = urljoin("http://testserver" + url, unescape(href))
            path = urlsplit(target).path + (
                f"?{urlsplit(target).query}" if urlsplit(target).query else ""
            )
            if path.startswith(base) and path not in seen:
                queue.append(path)
    return seen


def test_a_scoped_link_shows_nothing_outside_its_scope(docs, browser):
    _other, other_token = docs.link(name="Everything")
    _link, token = docs.link(
        whole_project=False,
        folder_ids=[docs.folders["market"].pk],
        endpoint_ids=[docs.endpoints["place"].pk],
        environment_id=docs.environment.pk,
        show_assignee=True,
    )
    base = f"/share/{token}/"
    pages = walk(browser, base)
    ids = {docs.endpoints[name].pk for name in ("ticker", "depth", "place")}
    expected = {base, f"{base}index.md", f"{base}llms.txt"}
    expected |= {f"{base}endpoints/{pk}/" for pk in ids} | {
        f"{base}endpoints/{pk}.md" for pk in ids
    }
    assert expected <= set(pages), sorted(expected - set(pages))

    User = get_user_model()
    emails = [email for email in User.objects.values_list("email", flat=True) if email]
    audit, health = docs.endpoints["audit"], docs.endpoints["health"]
    forbidden = [
        "Audit firehose", "Health probe", "internal.example.com", "health.example.com",
        "compliance", "internal-only", "Internal tools", "Up?",
        other_token, SECRET_VALUE, GLOBAL_SECRET_VALUE, PRIVATE_VALUE, PRIVATE_VALUE + "_key",
        f"endpoints/{audit.pk}/", f"endpoints/{health.pk}/",
        f"endpoints/{audit.pk}.md", f"endpoints/{health.pk}.md",
        *emails,
    ]  # fmt: skip
    for url, body in pages.items():
        for text in forbidden:
            assert text not in body, (url, text)
        if not url.endswith("llms.txt"):
            assert token not in body, url
    # and a search cannot reach them either
    for query in ("Audit", "firehose", "compliance", "internal-only", "health.example.com"):
        html = browser.get(base, {"q": query}).content.decode()
        assert "0 results" in html and 'class="card"' not in html, query
    for endpoint in (audit, health):
        assert browser.get(f"{base}endpoints/{endpoint.pk}/").status_code == 404
        assert browser.get(f"{base}endpoints/{endpoint.pk}.md").status_code == 404


def test_a_whole_project_link_still_hides_secrets_emails_and_private_values(docs, browser):
    _, other_token = docs.link(name="Other")
    _, token = docs.link(environment_id=docs.environment.pk, show_assignee=True)
    pages = walk(browser, f"/share/{token}/")
    assert len(pages) >= 3 + 2 * len(docs.endpoints)
    for url, body in pages.items():
        for text in (
            SECRET_VALUE,
            GLOBAL_SECRET_VALUE,
            PRIVATE_VALUE,
            other_token,
            "@example.test",
        ):
            assert text not in body, (url, text)
