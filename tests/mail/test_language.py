"""Language of a message: every target locale of the desk and the common European and Asian ones."""

from __future__ import annotations

import re

import pytest

from heedful.mail.intake import accept_raw
from heedful.mail.language import detect_language
from heedful.mail.models import RawMessage
from tests.mail.helpers import raw_mail

TWO_SENTENCE_MAILS = {
    "en": "Hello, my printer stopped working after the last update. Could you please tell me how to fix it?",
    "zh": "您好，我的打印机在上次更新后就不能用了。请问应该怎么解决这个问题？",
    "eo": "Saluton, mia presilo ĉesis funkcii post la lasta ĝisdatigo. "
          "Ĉu vi povas diri al mi kiel ripari ĝin?",
    "te": "నమస్కారం, చివరి అప్‌డేట్ తర్వాత నా ప్రింటర్ పనిచేయడం ఆగిపోయింది. దయచేసి దీన్ని ఎలా సరిచేయాలో చెప్పగలరా?",
    "bn": "নমস্কার, শেষ আপডেটের পর থেকে আমার প্রিন্টার কাজ করছে না। দয়া করে বলবেন কীভাবে এটি ঠিক করব?",
    "lo": "ສະບາຍດີ, ເຄື່ອງພິມຂອງຂ້ອຍບໍ່ເຮັດວຽກຫຼັງຈາກການອັບເດດຄັ້ງລ່າສຸດ. ກະລຸນາບອກຂ້ອຍວິທີແກ້ໄຂໄດ້ບໍ?",
    "fr": "Bonjour, mon imprimante ne fonctionne plus depuis la dernière mise à jour. "
          "Pourriez-vous m'expliquer comment la réparer ?",
    "de": "Hallo, mein Drucker funktioniert seit dem letzten Update nicht mehr. "
          "Können Sie mir bitte sagen, wie ich das behebe?",
    "es": "Hola, mi impresora dejó de funcionar después de la última actualización. "
          "¿Podrían decirme cómo arreglarla?",
    "pt": "Olá, a minha impressora deixou de funcionar depois da última atualização. "
          "Podem dizer-me como resolver isto?",
    "ru": "Здравствуйте, мой принтер перестал работать после последнего обновления. "
          "Подскажите, пожалуйста, как это исправить?",
    "ja": "お世話になっております。前回のアップデート以降、プリンターが動かなくなりました。"
          "直し方を教えていただけますか。",
}


@pytest.mark.parametrize(("expected", "text"), list(TWO_SENTENCE_MAILS.items()))
def test_language_of_a_two_sentence_mail(expected: str, text: str) -> None:
    assert detect_language(text) == expected


@pytest.mark.parametrize(("expected", "text"), list(TWO_SENTENCE_MAILS.items()))
def test_addresses_links_and_quote_markers_do_not_change_the_answer(expected: str, text: str) -> None:
    noisy = f"> {text}\nhttps://portal.example.com/tickets/1042?x=1 carol.smith@example.org\n+44 20 7946 0000"
    assert detect_language(noisy) == expected


@pytest.mark.parametrize("text", ["", "   ", "ok", "Thanks!", "hi there", "Merci", "谢谢", "12345 678 90",
                                  "?!?! ...", "carol@example.org https://example.com/a/b"])
def test_short_or_empty_text_has_no_language(text: str) -> None:
    assert detect_language(text) == ""


def test_the_code_is_always_iso_639_1() -> None:
    samples = [*TWO_SENTENCE_MAILS.values(), "asdf qwer zxcv uiop hjkl",
               "Mbote, nazali na mokakatano na printa", "Ngiyabonga kakhulu ngosizo lwakho namuhla",
               "粵語係廣東嘅語言，我哋日日都講"]
    for text in samples:
        assert re.fullmatch(r"([a-z]{2})?", detect_language(text)), text


@pytest.mark.django_db
def test_language_is_stored_on_the_event_and_the_new_ticket(run_tasks) -> None:
    accepted = accept_raw(raw_mail(body=TWO_SENTENCE_MAILS["de"]), via=RawMessage.Via.HTTP)
    run_tasks()
    accepted.raw.refresh_from_db()
    assert accepted.raw.event.language == "de"
    assert accepted.raw.ticket.language == "de"
