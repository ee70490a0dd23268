"""Reading one raw mail: any charset, any MIME structure, never an exception."""

from __future__ import annotations

from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from waarborg.intake.classify import KINDS, UNCLEAR
from waarborg.intake.reading import EXPLANATION_LIMIT, mail_key, mail_read


def _mail(body: str, *, sender: str = "Annelies <annelies@example.nl>", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "privacy@aplanner.nl"
    message["Message-ID"] = headers.pop("message_id", "<1@example.nl>")
    message["Subject"] = headers.pop("subject", "Verzoek")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return message.as_bytes()


def test_a_plain_dutch_mail_is_read_with_its_sender_right_and_language():
    read = mail_read(_mail("Ik wil graag inzage in mijn gegevens."))
    assert read.sender == "annelies@example.nl"
    assert read.kinds == ("access",)
    assert read.language == "nl"
    assert not read.automatic
    assert read.explanation == "Verzoek\n\nIk wil graag inzage in mijn gegevens."


def test_an_encoded_subject_and_a_latin1_body_are_decoded():
    raw = (
        b"From: =?iso-8859-1?q?Ren=E9e?= <renee@example.nl>\r\n"
        b"Subject: =?utf-8?b?VmVyd2lqZGVyIG1pam4gZ2VnZXZlbnMgYS51LmI=?=\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        b"Ik ben Ren=E9e en wil dat u al mijn gegevens verwijdert.\r\n"
    )
    read = mail_read(raw)
    assert read.subject == "Verwijder mijn gegevens a.u.b"
    assert "Renée" in read.text
    assert read.kinds == ("erasure",)
    assert read.sender == "renee@example.nl"


def test_an_html_only_mail_is_read_as_text_without_its_styles():
    outer = MIMEMultipart("alternative")
    outer["From"] = "tom@example.com"
    outer["Subject"] = "Request"
    outer.attach(
        MIMEText(
            "<html><head><style>p{color:red}</style></head><body><p>Please delete my "
            "account.</p><p>Thanks</p></body></html>",
            "html",
            "utf-8",
        )
    )
    read = mail_read(outer.as_bytes())
    assert "color" not in read.text
    assert read.kinds == ("erasure",)
    assert read.language == "en"


def test_the_mail_an_html_reply_quotes_is_not_read_for_a_right():
    reply = MIMEText(
        "<div>Dank u, duidelijk.</div><blockquote>U vroeg om inzage in uw gegevens en om "
        "verwijdering van al mijn gegevens.</blockquote>",
        "html",
        "utf-8",
    )
    reply["From"] = "karin@example.nl"
    read = mail_read(reply.as_bytes())
    assert read.kinds == (UNCLEAR,)
    assert "inzage" not in read.text


def test_an_attachment_is_not_read_as_the_request():
    outer = MIMEMultipart("mixed")
    outer["From"] = "tom@example.com"
    outer.attach(MIMEText("Hello, see the attachment.", "plain", "utf-8"))
    attached = MIMEText("Please delete my account.", "plain", "utf-8")
    attached.add_header("Content-Disposition", "attachment", filename="letter.txt")
    outer.attach(attached)
    assert mail_read(outer.as_bytes()).kinds == (UNCLEAR,)


def test_an_unknown_charset_is_read_with_replacement_characters():
    raw = (
        b"From: a@example.nl\r\nContent-Type: text/plain; charset=x-made-up\r\n\r\n"
        b"Ik wil inzage in mijn gegevens \xff\xfe.\r\n"
    )
    read = mail_read(raw)
    assert read.kinds == ("access",)
    assert "\ufffd" in read.text


def test_auto_replies_and_bounces_are_recognised_as_automatic():
    assert mail_read(_mail("Ik ben afwezig.", Auto_Submitted="auto-replied")).automatic
    assert mail_read(_mail("Delivery failed", sender="MAILER-DAEMON@mx.example.nl")).automatic
    assert mail_read(_mail("Out of office", Precedence="bulk")).automatic
    assert not mail_read(_mail("Hallo", Auto_Submitted="no")).automatic


def test_a_mail_without_a_usable_sender_has_none():
    assert mail_read(_mail("Inzage graag.", sender="undisclosed-recipients:;")).sender is None
    assert mail_read(b"Subject: hi\r\n\r\nInzage graag.").sender is None


def test_the_key_is_the_message_id_or_else_the_raw_mail():
    assert mail_read(_mail("a", message_id="<x@y>")).key == mail_key("<x@y>", b"other bytes")
    raw = b"From: a@example.nl\r\n\r\nno message id\r\n"
    assert mail_read(raw).key == mail_key(None, raw)
    assert mail_key(None, raw) != mail_key(None, raw + b".")


def test_a_long_mail_is_cut_for_the_explanation():
    read = mail_read(_mail("Inzage. " + "x" * (3 * EXPLANATION_LIMIT)))
    assert len(read.explanation) == EXPLANATION_LIMIT


def _check(raw: bytes) -> None:
    read = mail_read(raw)
    assert read.kinds == (UNCLEAR,) or set(read.kinds) <= set(KINDS)
    assert read.language in ("nl", "en")
    assert len(read.key) == 64
    assert read.sender is None or "@" in read.sender


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_any_bytes_are_read_without_an_exception(raw):
    _check(raw)


CHARSETS = st.sampled_from(
    ["utf-8", "iso-8859-1", "windows-1252", "utf-16", "koi8-r", "shift_jis", "gb2312", "bogus"]
)
HEADER_TEXT = st.text(max_size=80).map(lambda s: s.replace("\r", " ").replace("\n", " "))


@st.composite
def mime_parts(draw, depth=0):
    """A random MIME tree: nested multiparts, text and other parts, charsets, encodings."""
    if depth < 3 and draw(st.booleans()):
        subtype = draw(st.sampled_from(["mixed", "alternative", "related", "report", "digest"]))
        parts = draw(st.lists(mime_parts(depth=depth + 1), max_size=3))
        boundary = f"b{depth}x{draw(st.integers(0, 999))}"
        body = b"".join(b"--" + boundary.encode() + b"\r\n" + p + b"\r\n" for p in parts)
        head = f'Content-Type: multipart/{subtype}; boundary="{boundary}"\r\n\r\n'.encode()
        return head + body + b"--" + boundary.encode() + b"--\r\n"
    kind = draw(st.sampled_from(["text/plain", "text/html", "application/pdf", "message/rfc822"]))
    charset = draw(CHARSETS)
    encoding = draw(st.sampled_from(["7bit", "8bit", "base64", "quoted-printable", "x-uu"]))
    text = draw(st.text(max_size=300))
    try:
        payload = text.encode(charset)
    except (LookupError, UnicodeEncodeError):
        payload = draw(st.binary(max_size=300))
    disposition = draw(st.sampled_from(["", "Content-Disposition: attachment\r\n"]))
    part_head = (
        f"Content-Type: {kind}; charset={charset}\r\n"
        f"Content-Transfer-Encoding: {encoding}\r\n{disposition}\r\n"
    )
    return part_head.encode() + payload


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mime_parts(), HEADER_TEXT, HEADER_TEXT, CHARSETS)
def test_any_mime_structure_and_charset_is_read_without_an_exception(body, subject, name, charset):
    head = (
        f"From: {name} <someone@example.nl>\r\nSubject: =?{charset}?b?{subject}?=\r\n"
        "MIME-Version: 1.0\r\n"
    ).encode("utf-8", errors="replace")
    _check(head + body)
