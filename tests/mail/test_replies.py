"""Reply extraction: the labelled corpus in tests/mail/corpus/, and the behaviours behind it."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from heedful.mail.html_quotes import quoted_text
from heedful.mail.intake import accept_raw
from heedful.mail.models import RawMessage
from heedful.mail.replies import extract_reply, text_is_poor, tidy
from tests.mail.helpers import raw_mail

CORPUS = Path(__file__).with_name("corpus")
CASES = {path.stem: tomllib.loads(path.read_text(encoding="utf-8")) for path in sorted(CORPUS.glob("*.toml"))}
LANGUAGES = {"en", "zh", "fr", "de", "es", "pt", "ru", "ja", "it", "nl"}
CLIENTS = {"gmail", "outlook-desktop", "apple-mail", "thunderbird"}


def test_corpus_reply_accuracy_is_at_least_95_percent() -> None:
    failures = []
    for name, case in CASES.items():
        got = extract_reply(case.get("text", ""), case.get("html", ""))
        if tidy(got) != tidy(case["expected"]):
            failures.append(f"{name}:\n  expected {tidy(case['expected'])!r}\n  got      {tidy(got)!r}")
    accuracy = 1 - len(failures) / len(CASES)
    assert accuracy >= 0.95, f"accuracy {accuracy:.3f}; failures:\n" + "\n".join(failures)


def test_corpus_covers_every_client_and_language() -> None:
    assert len(CASES) >= 60
    covered = {(c["client"], c["language"]) for c in CASES.values()}
    missing = {(client, language) for client in CLIENTS for language in LANGUAGES} - covered
    assert not missing
    assert {c["language"] for c in CASES.values() if c["client"] == "outlook-web"} >= {"en", "de", "es", "fr"}
    styles = {c["style"] for c in CASES.values()}
    assert styles >= {"top-posting", "bottom-posting", "interleaved", "forwarded", "no-quote", "signature"}
    assert sum(1 for c in CASES.values() if c.get("html")) >= 15


def test_every_corpus_case_is_well_formed() -> None:
    for name, case in CASES.items():
        assert case.get("text") or case.get("html"), name
        assert case["expected"].strip(), name
        assert set(case) <= {"client", "language", "style", "note", "text", "html", "expected"}, name


# --- behaviours ---------------------------------------------------------------------------------

def test_top_posted_reply_loses_the_quoted_history() -> None:
    text = "Works now.\n\nOn Mon, Jun 3, 2024 at 10:00 AM Alice <a@heedful.test> wrote:\n> Restart it.\n"
    assert extract_reply(text) == "Works now."


def test_interleaved_answers_keep_the_questions_they_answer_and_drop_trailing_history() -> None:
    text = ("On Mon, Alice wrote:\n> Which model?\nHP 4000.\n> Which system?\nWindows 11.\n"
            ">\n> Bye,\n> Alice\n")
    assert extract_reply(text) == "> Which model?\nHP 4000.\n> Which system?\nWindows 11."


def test_bottom_posted_answer_loses_the_quote_above_it() -> None:
    assert extract_reply("On Mon, Alice wrote:\n> Restart it.\n\nDone, it works.\n") == "Done, it works."


def test_own_line_that_looks_like_the_start_of_an_attribution_is_kept() -> None:
    text = "On my side it still fails.\nOn Mon, Jun 3, 2024 at 10:00 AM Alice <a@x> wrote:\n> Try again.\n"
    assert extract_reply(text) == "On my side it still fails."


@pytest.mark.parametrize(
    "signature",
    ["-- \nCarol", "--\nCarol", "Sent from my iPhone", "Von meinem iPhone gesendet", "Envoyé de mon iPhone",
     "Enviado desde mi iPhone", "Enviado do meu iPhone", "Inviato da iPhone", "Verzonden vanaf mijn iPhone",
     "Отправлено с iPhone", "iPhoneから送信", "发自我的iPhone", "Get Outlook for Android"],
)
def test_signatures_are_cut(signature: str) -> None:
    assert extract_reply(f"Please call me.\n\n{signature}\n") == "Please call me."


def test_a_message_that_is_only_a_signature_line_is_kept() -> None:
    assert extract_reply("Sent from my iPhone") == "Sent from my iPhone"


def test_forward_without_a_note_keeps_the_forwarded_text() -> None:
    text = "---------- Forwarded message ---------\nFrom: Dan <dan@example.net>\n\nIt broke.\n"
    assert "It broke." in extract_reply(text)


def test_empty_input_gives_empty_text() -> None:
    assert extract_reply("", "") == ""
    assert extract_reply("   \n\n") == ""


def test_html_is_read_when_the_text_part_is_missing_or_a_stub() -> None:
    html = "<p>" + "The whole message is only in the HTML part of this mail. " * 3 + "</p>"
    assert text_is_poor("", html)
    assert text_is_poor("Please view this message in HTML.", html)
    assert not text_is_poor("The whole message is only in the HTML part of this mail. " * 3, html)
    assert not text_is_poor("Short.", "")
    assert extract_reply("View in HTML", html).startswith("The whole message")


def test_html_quote_containers_become_quoted_lines() -> None:
    html = ('<div>New words</div><div class="gmail_quote"><div class="gmail_attr">On Mon, X wrote:</div>'
            '<blockquote class="gmail_quote"><div>Old words</div><blockquote type="cite">Older</blockquote>'
            "</blockquote></div>")
    assert quoted_text(html) == "New words\nOn Mon, X wrote:\n> Old words\n> > Older"


def test_outlook_history_markers_end_the_html() -> None:
    for marker in ('<div id="divRplyFwdMsg">', '<div id="appendonsend"></div>',
                   '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'):
        assert quoted_text(f"<p>Mine</p>{marker}<p>From: them</p><p>History</p>") == "Mine"


def test_html_scripts_styles_and_signatures_are_not_text() -> None:
    html = ("<style>p{color:red}</style><script>x()</script><p>Hello</p>"
            '<div class="gmail_signature">Carol, CEO</div><div class="moz-signature">-- Carol</div>')
    assert quoted_text(html) == "Hello"


def test_broken_html_does_not_raise() -> None:
    broken = ["<div><blockquote><p>unclosed", "</div></div><br/><<>>&#xZZ;", "<pre>a\n\nb</pre>", "\x00<p>"]
    for html in broken:
        assert isinstance(extract_reply("", html), str)


# --- the pipeline stores both --------------------------------------------------------------------

@pytest.mark.django_db
def test_processing_stores_the_reply_and_the_full_original(run_tasks) -> None:
    body = ("Tak, teraz działa.\n\nW dniu pon., 3.06.2024 o 10:00 Heedful <support@heedful.test>"
            " napisał(a):\n> Prosimy o restart.\n")
    accepted = accept_raw(raw_mail(body=body), via=RawMessage.Via.HTTP)
    run_tasks()
    accepted.raw.refresh_from_db()
    event = accepted.raw.event
    assert event.body_text == "Tak, teraz działa."
    assert "Prosimy o restart." in event.full_text


@pytest.mark.django_db
def test_processing_reads_outlook_html_when_the_text_part_is_a_stub(run_tasks) -> None:
    own = "The replacement arrived today, thank you very much for the quick help."
    html = (f'<p class="MsoNormal">{own}</p>'
            '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
            "<p><b>From:</b> Heedful</p></div>"
            "<p>We have sent a replacement for the broken item, it should arrive within three days.</p>")
    accepted = accept_raw(raw_mail(body="HTML message", html=html), via=RawMessage.Via.HTTP)
    run_tasks()
    accepted.raw.refresh_from_db()
    assert accepted.raw.event.body_text == own
