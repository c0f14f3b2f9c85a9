"""Spam scoring: header and content rules plus a naive Bayes classifier that learns from agents'
"spam" and "not spam" actions. Suspected spam goes to the spam view; nothing is deleted."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import F

from heedful.mail.models import SpamToken
from heedful.mail.parsing import ParsedMessage

SPAM_DOCS = "__spam_docs__"
HAM_DOCS = "__ham_docs__"
_WORD = re.compile(r"[^\W\d_]{3,20}|[\u4e00-\u9fff]", re.UNICODE)
_URL = re.compile(r"https?://", re.I)
_SHOUTY = re.compile(r"\b[A-Z]{5,}\b")


@dataclass(frozen=True)
class Verdict:
    score: float
    reasons: list[str]

    @property
    def is_spam(self) -> bool:
        return self.score >= settings.MAIL_SPAM_THRESHOLD


def tokens_of(parsed: ParsedMessage, text: str) -> list[str]:
    words = _WORD.findall(f"{parsed.subject}\n{text}".lower())
    return list(dict.fromkeys(words))[:300]


def rule_score(parsed: ParsedMessage, text: str) -> tuple[float, list[str]]:
    score, reasons = 0.0, []
    status = " ".join(parsed.headers.get("x-spam-status", [])).lower()
    if status.startswith("yes") or parsed.header("x-spam-flag").strip().lower() == "yes":
        score += 4.0
        reasons.append("upstream filter says spam")
    auth = " ".join(parsed.headers.get("authentication-results", [])).lower()
    if "dmarc=fail" in auth or "spf=fail" in auth:
        score += 2.0
        reasons.append("sender authentication failed")
    if parsed.sender is None:
        score += 1.5
        reasons.append("no sender")
    if len(_URL.findall(text)) > 10:
        score += 1.0
        reasons.append("many links")
    if len(_SHOUTY.findall(parsed.subject)) >= 2:
        score += 1.0
        reasons.append("shouting subject")
    executables = [a for a in parsed.attachments
                   if a.filename.lower().endswith((".exe", ".scr", ".js", ".vbs", ".bat", ".cmd"))]
    if executables:
        score += 2.5
        reasons.append("executable attachment")
    return score, reasons


def bayes_scores(documents: list[list[str]]) -> list[float]:
    """Log-odds of spam of each message from the learned counts (one read for all), clipped to
    [-5, 5]; 0 before any training."""
    wanted = {word for words in documents for word in words} | {SPAM_DOCS, HAM_DOCS}
    counts = {t.token: t for t in SpamToken.objects.filter(token__in=wanted)}
    spam_docs = counts[SPAM_DOCS].spam if SPAM_DOCS in counts else 0
    ham_docs = counts[HAM_DOCS].ham if HAM_DOCS in counts else 0
    if spam_docs < 5 or ham_docs < 5:
        return [0.0 for _words in documents]
    return [_log_odds(words, counts, spam_docs, ham_docs) for words in documents]


def _log_odds(words: list[str], counts: dict[str, SpamToken], spam_docs: int, ham_docs: int) -> float:
    log_odds = math.log(spam_docs / ham_docs)
    for word in words:
        token = counts.get(word)
        if token is None:
            continue
        p_spam = (token.spam + 1) / (spam_docs + 2)
        p_ham = (token.ham + 1) / (ham_docs + 2)
        log_odds += math.log(p_spam / p_ham)
    return max(-5.0, min(5.0, log_odds))


def score_message(parsed: ParsedMessage, text: str) -> Verdict:
    return score_messages([(parsed, text)])[0]


def score_messages(messages: list[tuple[ParsedMessage, str]]) -> list[Verdict]:
    """Rules and the learned classifier for many messages, with one read of the counts."""
    learned = bayes_scores([tokens_of(parsed, text) for parsed, text in messages])
    verdicts = []
    for (parsed, text), bayes in zip(messages, learned, strict=True):
        rules, reasons = rule_score(parsed, text)
        if bayes > 1:
            reasons.append("resembles mail agents marked as spam")
        verdicts.append(Verdict(score=rules + bayes, reasons=reasons))
    return verdicts


def learn(words: list[str], *, spam: bool) -> None:
    """Count one message as spam or ham (an agent's verdict)."""
    column = "spam" if spam else "ham"
    tokens = list(dict.fromkeys([t[:64] for t in words] + [SPAM_DOCS if spam else HAM_DOCS]))
    with transaction.atomic():
        SpamToken.objects.bulk_create([SpamToken(token=t) for t in tokens], ignore_conflicts=True)
        SpamToken.objects.filter(token__in=tokens).update(**{column: F(column) + 1})


def unlearn(words: list[str], *, spam: bool) -> None:
    """Take back one message counted as spam or ham (the agent changed their mind)."""
    column = "spam" if spam else "ham"
    tokens = list(dict.fromkeys([t[:64] for t in words] + [SPAM_DOCS if spam else HAM_DOCS]))
    SpamToken.objects.filter(token__in=tokens, **{f"{column}__gt": 0}).update(**{column: F(column) - 1})
