"""Mail ingest benchmark: received to threaded and stored, in messages per second.

    .venv/bin/python bench/mail_ingest.py [--messages 10000] [--db sqlite|postgres|both]
                                          [--pg-url URL] [--seed 3] [--workers N]
                                          [--acknowledge] [--profile]
                                          [--via accept|smtp] [--smtp-connections 4]

Generates realistic raw messages deterministically (seeded): 60% new requests, 40% replies
threaded by In-Reply-To/References to earlier ones (many quoting the history), plain text or
text+HTML, 10% with a small attachment, in en/zh/fr/de/ru/ja/lo/bn written in utf-8, gb2312,
iso-2022-jp, windows-1252 and koi8-r. Each database is measured twice, each time in a fresh
database (migrated first):

- pipelined (the headline, `end_to_end_msgs_per_s`): task workers run as separate processes
  (`heedful worker --queues mail`, one per core on PostgreSQL, one on SQLite, or --workers)
  while this process accepts every message with `accept_raw`, as the SMTP intake does; the
  clock runs from the first accept until the last message is threaded and stored.
  With --via smtp, the messages go over SMTP connections to a `heedful mail serve` process
  instead of to `accept_raw` in this process.
- phases: first accept everything, then process everything with one in-process worker
  (`db_worker --queue-name mail --batch`), to show what each stage costs on its own.

Both check that every reply landed on its thread's ticket. Each run is a child process with
its own HEEDFUL_* environment (HEEDFUL_DATA_DIR=/tmp/heedful-mailbench/<db>); the parent prints
ONE JSON document on stdout. Progress goes to stderr. Budget (DESIGN.md): >= 200 messages/s on
PostgreSQL.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sys
import time
from dataclasses import dataclass, field
from email.header import Header
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr
from pathlib import Path
from typing import Any

from _runner import machine, run_children

BUDGET_MSGS_PER_S = 200
DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/heedful_mailbench"
MAILBOX = "support@heedful.bench"

# Per language: charsets a real client might use, subjects, sentences, a quote header, names.
LANGUAGES: dict[str, dict[str, Any]] = {
    "en": {
        "charsets": ["utf-8", "windows-1252"],
        "subjects": ["Printer stopped working", "Invoice shows the wrong amount", "Cannot log in",
                     "Order has not arrived", "Refund for a damaged parcel", "Change my plan"],
        "sentences": ["My printer stopped printing after yesterday's update.",
                      "The invoice for March charges me twice for the same licence.",
                      "I reset my password but the link in the e-mail has expired.",
                      "The parcel was supposed to arrive on Monday and there is still no sign of it.",
                      "Could you please tell me what I should do next?",
                      "I have attached a screenshot of the error message.",
                      "This is quite urgent because our office depends on it.",
                      "Thank you for the quick answer, but the problem is still there."],
        "quote": "On {date}, {name} wrote:",
        "names": ["Carol Smith", "James Brown", "Emily Clark", "Oliver Wright"],
    },
    "zh": {
        "charsets": ["gb2312", "utf-8"],
        "subjects": ["打印机无法使用", "发票金额不对", "无法登录账户", "订单还没有到", "申请退款"],
        "sentences": ["我的打印机从昨天更新以后就不能打印了。", "三月份的发票重复收取了同一个许可证的费用。",
                      "我重置了密码，但是邮件里的链接已经过期了。", "包裹本来应该星期一到，现在还没有消息。",
                      "请问我下一步应该怎么做？", "我附上了错误信息的截图。",
                      "这个问题比较紧急，我们办公室需要用。", "谢谢你们的快速回复，但是问题还是存在。"],
        "quote": "在 {date}，{name} 写道：",
        "names": ["王伟", "李娜", "张敏", "刘洋"],
    },
    "fr": {
        "charsets": ["windows-1252", "utf-8"],
        "subjects": ["L'imprimante ne fonctionne plus", "Facture erronée", "Impossible de me connecter",
                     "Commande non reçue", "Remboursement d'un colis abîmé"],
        "sentences": ["Mon imprimante n'imprime plus depuis la mise à jour d'hier.",
                      "La facture de mars me facture deux fois la même licence.",
                      "J'ai réinitialisé mon mot de passe mais le lien a expiré.",
                      "Le colis devait arriver lundi et je n'ai toujours aucune nouvelle.",
                      "Pourriez-vous me dire ce que je dois faire ensuite ?",
                      "Vous trouverez ci-joint une capture d'écran de l'erreur.",
                      "C'est assez urgent, notre bureau en dépend.",
                      "Merci pour la réponse rapide, mais le problème persiste."],
        "quote": "Le {date}, {name} a écrit :",
        "names": ["Amélie Dubois", "François Martin", "Hélène Petit", "Jérôme Leroy"],
    },
    "de": {
        "charsets": ["windows-1252", "utf-8"],
        "subjects": ["Drucker funktioniert nicht mehr", "Rechnung ist falsch", "Anmeldung nicht möglich",
                     "Bestellung nicht angekommen", "Rückerstattung für beschädigtes Paket"],
        "sentences": ["Mein Drucker druckt seit dem gestrigen Update nicht mehr.",
                      "Die Rechnung für März berechnet dieselbe Lizenz zweimal.",
                      "Ich habe mein Passwort zurückgesetzt, aber der Link ist abgelaufen.",
                      "Das Paket sollte am Montag ankommen, es gibt aber keine Spur davon.",
                      "Könnten Sie mir bitte sagen, was ich als Nächstes tun soll?",
                      "Im Anhang finden Sie einen Screenshot der Fehlermeldung.",
                      "Es ist ziemlich dringend, weil unser Büro darauf angewiesen ist.",
                      "Vielen Dank für die schnelle Antwort, aber das Problem besteht weiterhin."],
        "quote": "Am {date} schrieb {name}:",
        "names": ["Jürgen Müller", "Käthe Schäfer", "Lukas Weiß", "Sophie Groß"],
    },
    "ru": {
        "charsets": ["koi8-r", "utf-8"],
        "subjects": ["Принтер перестал работать", "Неверная сумма в счёте", "Не могу войти",
                     "Заказ не пришёл", "Возврат за повреждённую посылку"],
        "sentences": ["Мой принтер перестал печатать после вчерашнего обновления.",
                      "В счёте за март дважды указана одна и та же лицензия.",
                      "Я сбросил пароль, но ссылка в письме уже недействительна.",
                      "Посылка должна была прийти в понедельник, но её до сих пор нет.",
                      "Подскажите, пожалуйста, что мне делать дальше?",
                      "Прилагаю снимок экрана с сообщением об ошибке.",
                      "Это довольно срочно, наш офис от этого зависит.",
                      "Спасибо за быстрый ответ, но проблема осталась."],
        "quote": "{date}, {name} пишет:",
        "names": ["Иван Петров", "Ольга Смирнова", "Дмитрий Козлов", "Анна Волкова"],
    },
    "ja": {
        "charsets": ["iso-2022-jp", "utf-8"],
        "subjects": ["プリンターが動きません", "請求書の金額が違います", "ログインできません",
                     "注文した商品が届きません", "返金のお願い"],
        "sentences": ["昨日の更新のあと、プリンターで印刷できなくなりました。",
                      "三月の請求書で同じライセンスが二回請求されています。",
                      "パスワードを再設定しましたが、メールのリンクの期限が切れていました。",
                      "荷物は月曜日に届く予定でしたが、まだ届いていません。",
                      "次に何をすればよいか教えていただけますか。",
                      "エラーメッセージの画面を添付しました。",
                      "事務所の業務に影響があるので、至急お願いします。",
                      "早速のご返信ありがとうございます。しかし、問題はまだ解決していません。"],
        "quote": "{date} {name} さんは書きました:",
        "names": ["佐藤 花子", "鈴木 一郎", "高橋 美咲", "田中 健"],
    },
    "lo": {
        "charsets": ["utf-8"],
        "subjects": ["ເຄື່ອງພິມບໍ່ເຮັດວຽກ", "ໃບແຈ້ງໜີ້ບໍ່ຖືກຕ້ອງ", "ເຂົ້າລະບົບບໍ່ໄດ້", "ສິນຄ້າຍັງບໍ່ມາຮອດ"],
        "sentences": ["ເຄື່ອງພິມຂອງຂ້ອຍບໍ່ພິມຫຼັງຈາກການອັບເດດມື້ວານນີ້.",
                      "ໃບແຈ້ງໜີ້ເດືອນມີນາເກັບເງິນສອງເທື່ອ.",
                      "ຂ້ອຍໄດ້ປ່ຽນລະຫັດຜ່ານແລ້ວ ແຕ່ລິ້ງໝົດອາຍຸແລ້ວ.",
                      "ກະລຸນາບອກຂ້ອຍວ່າຕ້ອງເຮັດແນວໃດຕໍ່ໄປ.",
                      "ຂອບໃຈສຳລັບຄຳຕອບ ແຕ່ບັນຫາຍັງມີຢູ່."],
        "quote": "On {date}, {name} wrote:",
        "names": ["ສົມພອນ ວົງສາ", "ບຸນມີ ແສງທອງ", "ນາງ ແກ້ວ"],
    },
    "bn": {
        "charsets": ["utf-8"],
        "subjects": ["প্রিন্টার কাজ করছে না", "বিলের পরিমাণ ভুল", "লগইন করতে পারছি না", "অর্ডার এখনও আসেনি"],
        "sentences": ["গতকালের আপডেটের পর থেকে আমার প্রিন্টার আর প্রিন্ট করছে না।",
                      "মার্চ মাসের বিলে একই লাইসেন্সের জন্য দুবার টাকা নেওয়া হয়েছে।",
                      "আমি পাসওয়ার্ড রিসেট করেছি কিন্তু লিংকের মেয়াদ শেষ হয়ে গেছে।",
                      "অনুগ্রহ করে জানাবেন এরপর আমার কী করা উচিত?",
                      "দ্রুত উত্তরের জন্য ধন্যবাদ, কিন্তু সমস্যাটি এখনও আছে।"],
        "quote": "On {date}, {name} wrote:",
        "names": ["রহিম উদ্দিন", "ফাতেমা খাতুন", "সুমন দাস"],
    },
}
LANGUAGE_WEIGHTS = {"en": 30, "zh": 15, "fr": 12, "de": 12, "ru": 10, "ja": 10, "lo": 5, "bn": 6}


# -------------------------------------------------------------------------------- generation
@dataclass
class Thread:
    language: str
    sender: str
    name: str
    subject: str
    message_ids: list[str] = field(default_factory=list)
    last_text: str = ""


@dataclass
class Generated:
    raw: list[bytes]
    # For each message: the index of the thread it belongs to; replies must share its ticket.
    thread_of: list[int]
    replies: int
    with_html: int
    with_attachment: int
    charsets: dict[str, int]
    languages: dict[str, int]


def _text(rng: random.Random, language: str, sentences: int) -> str:
    bank = LANGUAGES[language]["sentences"]
    joiner = "" if language in {"zh", "ja"} else " "
    paragraph = joiner.join(rng.choice(bank) for _ in range(sentences))
    return paragraph


def _quoted(thread: Thread, date: str) -> str:
    header = LANGUAGES[thread.language]["quote"].format(date=date, name=MAILBOX)
    lines = "\n".join(f"> {line}" for line in thread.last_text.splitlines())
    return f"\n\n{header}\n{lines}\n"


def _html(text: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n") if p.strip())
    return f'<html><body><div dir="auto">{paragraphs}</div></body></html>'


def _build(rng: random.Random, thread: Thread, *, index: int, reply: bool, when: float,
           counts: dict[str, int]) -> bytes:
    info = LANGUAGES[thread.language]
    charset = rng.choice(info["charsets"])
    date = format_datetime_utc(when)
    text = _text(rng, thread.language, rng.randint(1, 4))
    body = text
    if reply and rng.random() < 0.7:
        body = text + _quoted(thread, date)
    html = rng.random() < 0.4
    attachment = rng.random() < 0.1
    alternative: Any = MIMEText(body, "plain", charset)
    if html:
        alternative = MIMEMultipart("alternative")
        alternative.attach(MIMEText(body, "plain", charset))
        alternative.attach(MIMEText(_html(body.replace("\n>", "\n&gt;")), "html", "utf-8"))
    message: Any = alternative
    if attachment:
        message = MIMEMultipart("mixed")
        message.attach(alternative)
        payload = bytes(rng.getrandbits(8) for _ in range(rng.randint(500, 4000)))
        part = MIMEApplication(payload, "octet-stream")
        part.add_header("Content-Disposition", "attachment", filename=f"screenshot-{index}.png")
        message.attach(part)
    message_id = f"<bench.{index}.{rng.getrandbits(32):08x}@client{index % 7}.example>"
    message["From"] = formataddr((thread.name, thread.sender), charset="utf-8")
    message["To"] = MAILBOX
    subject = ("Re: " if reply else "") + thread.subject
    message["Subject"] = Header(subject, charset).encode()
    message["Date"] = date
    message["Message-ID"] = message_id
    message["MIME-Version"] = "1.0"
    if reply:
        message["In-Reply-To"] = thread.message_ids[-1]
        message["References"] = " ".join(thread.message_ids[-10:])
    thread.message_ids.append(message_id)
    thread.last_text = text
    counts["html"] += html
    counts["attachment"] += attachment
    counts[f"charset:{charset}"] = counts.get(f"charset:{charset}", 0) + 1
    return bytes(message.as_bytes()).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def format_datetime_utc(when: float) -> str:
    import datetime

    return format_datetime(datetime.datetime.fromtimestamp(when, tz=datetime.UTC))


def generate(count: int, seed: int) -> Generated:
    """Deterministic: the same count and seed give the same bytes."""
    rng = random.Random(seed)
    languages = list(LANGUAGE_WEIGHTS)
    weights = [LANGUAGE_WEIGHTS[lang] for lang in languages]
    threads: list[Thread] = []
    raw: list[bytes] = []
    thread_of: list[int] = []
    counts = {"html": 0, "attachment": 0}
    per_language: dict[str, int] = {}
    replies = 0
    when = 1_767_225_600.0  # 2026-01-01
    for index in range(count):
        when += rng.uniform(1, 30)
        reply = bool(threads) and rng.random() < 0.4
        if reply:
            # Recent threads get most replies, as in a real inbox.
            position = len(threads) - 1 - min(int(rng.expovariate(1 / 40)), len(threads) - 1)
            thread = threads[position]
            replies += 1
        else:
            language = rng.choices(languages, weights)[0]
            customer = rng.randrange(max(1, count // 4))
            info = LANGUAGES[language]
            thread = Thread(language=language, sender=f"customer{customer}@mail{customer % 13}.example",
                            name=rng.choice(info["names"]), subject=rng.choice(info["subjects"]))
            threads.append(thread)
            position = len(threads) - 1
        per_language[thread.language] = per_language.get(thread.language, 0) + 1
        raw.append(_build(rng, thread, index=index, reply=reply, when=when, counts=counts))
        thread_of.append(position)
    charsets = {k.split(":", 1)[1]: v for k, v in counts.items() if k.startswith("charset:")}
    return Generated(raw=raw, thread_of=thread_of, replies=replies, with_html=counts["html"],
                     with_attachment=counts["attachment"], charsets=charsets, languages=per_language)


# ------------------------------------------------------------------------------------ parent
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--pg-url", default=DEFAULT_PG_URL)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--acknowledge", action="store_true",
                        help="let the mailbox acknowledge new tickets (sent to a dummy backend)")
    parser.add_argument("--profile", action="store_true",
                        help="print a pyinstrument profile of the processing phase to stderr")
    parser.add_argument("--workers", type=int, default=0,
                        help="worker processes in the pipelined run (default: one per core on "
                             "PostgreSQL, one on SQLite)")
    parser.add_argument("--via", choices=["accept", "smtp"], default="accept",
                        help="hand messages to accept_raw in this process (default), or send "
                             "them over SMTP to a `heedful mail serve` process")
    parser.add_argument("--smtp-connections", type=int, default=4,
                        help="with --via smtp: connections at once, as an MTA opens them")
    parser.add_argument("--child", choices=["sqlite", "postgres"], help=argparse.SUPPRESS)
    parser.add_argument("--run", choices=["phases", "pipelined"], help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def run_parent(args: argparse.Namespace) -> None:
    databases = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    load_before = os.getloadavg()
    runs = {
        run: run_children(__file__, databases, data_dir=Path("/tmp/heedful-mailbench"),
                          sqlite_name="mailbench.sqlite3", pg_url=args.pg_url,
                          extra_env={"HEEDFUL_EMAIL_URL": ""}, extra_args=["--run", run])
        for run in ("pipelined", "phases")
    }
    results = {
        database: {
            "end_to_end_msgs_per_s": runs["pipelined"][database].get("msgs_per_s", 0),
            "pipelined": runs["pipelined"][database],
            "phases": runs["phases"][database],
        }
        for database in databases
    }
    postgres = results.get("postgres", {})
    document = {
        "benchmark": "mail_ingest",
        "command": " ".join(["python bench/mail_ingest.py", *sys.argv[1:]]),
        "machine": machine(load_before),
        "params": {"messages": args.messages, "seed": args.seed, "acknowledge": args.acknowledge},
        "budget_msgs_per_s": BUDGET_MSGS_PER_S,
        "databases": results,
        "within_budget": (postgres.get("end_to_end_msgs_per_s", 0) >= BUDGET_MSGS_PER_S
                          if "postgres" in results else None),
    }
    print(json.dumps(document, indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------------------- child
def log(message: str) -> None:
    print(f"[mailbench] {message}", file=sys.stderr, flush=True)


def fresh_database(database: str, pg_url: str, data_dir: Path) -> None:
    """Drop what an earlier run left, before Django connects."""
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    if database == "sqlite":
        return
    import psycopg

    url = pg_url.replace("postgres://", "postgresql://", 1)
    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds > 0 else 0.0


def run_child(args: argparse.Namespace) -> None:
    database = args.child
    fresh_database(database, args.pg_url, Path(os.environ["HEEDFUL_DATA_DIR"]))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from heedful.mail.intake import accept_raw
    from heedful.mail.models import Mailbox, RawMessage

    # Acknowledgements (with --acknowledge) go nowhere: this measures intake, not SMTP.
    settings.EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
    call_command("migrate", verbosity=0)
    Mailbox.objects.create(name="Support", address=MAILBOX, auto_acknowledge=args.acknowledge)

    started = time.perf_counter()
    generated = generate(args.messages, args.seed)
    log(f"{database}/{args.run}: generated {len(generated.raw)} messages in "
        f"{time.perf_counter() - started:.1f} s")

    def accept_all() -> list[int]:
        if args.via == "smtp":
            return send_over_smtp(generated.raw, args.smtp_connections)
        return [accept_raw(raw, via=RawMessage.Via.SMTP, envelope_from="",
                           envelope_to=[MAILBOX]).raw.pk for raw in generated.raw]

    if args.run == "pipelined":
        workers = args.workers or (os.cpu_count() or 1 if database == "postgres" else 1)
        records, seconds = pipelined(accept_all, workers, len(generated.raw))
        result: dict[str, Any] = {"workers": workers, "seconds": round(seconds, 2),
                                  "msgs_per_s": rate(len(records), seconds)}
        log(f"{database}/pipelined: {workers} worker(s), {result['msgs_per_s']} msg/s")
    else:
        started = time.perf_counter()
        records = accept_all()
        accept_seconds = time.perf_counter() - started
        log(f"{database}/phases: accepted at {rate(len(records), accept_seconds)} msg/s")
        profiler = None
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler()
            profiler.start()
        started = time.perf_counter()
        call_command("db_worker", queue_name="mail", batch=True, interval=0, reload=False,
                     startup_delay=False, verbosity=0)
        process_seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=True, color=False, show_all=False), file=sys.stderr)
        log(f"{database}/phases: processed at {rate(len(records), process_seconds)} msg/s")
        result = {
            "accept_seconds": round(accept_seconds, 2),
            "process_seconds": round(process_seconds, 2),
            "accept_msgs_per_s": rate(len(records), accept_seconds),
            "process_msgs_per_s": rate(len(records), process_seconds),
            "sequential_msgs_per_s": rate(len(records), accept_seconds + process_seconds),
        }
    result.update(check(records, generated))
    print(json.dumps(result))


def send_over_smtp(messages: list[bytes], connections: int) -> list[int]:
    """Hand every message to a `heedful mail serve` process over SMTP, as an MTA delivering its
    queue does: `connections` connections at once, message i on connection i % connections,
    each in order. Returns the raw message ids from the 250 answers, in message order."""
    import re
    import smtplib
    import socket
    import subprocess
    from concurrent.futures import ThreadPoolExecutor

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "heedful.cli", "mail", "serve", "--port", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def connect() -> smtplib.SMTP:
        deadline = time.monotonic() + 30
        while True:
            try:
                client = smtplib.SMTP("127.0.0.1", port, timeout=60)
                client.ehlo("bench.example")
                return client
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)

    def deliver(lane: int) -> list[tuple[int, int]]:
        stored_ids = []
        with connect() as client:
            for index in range(lane, len(messages), connections):
                client.mail("customer@bench.example")
                client.rcpt(MAILBOX)
                code, answer = client.data(messages[index])
                stored = re.search(rb"stored as (\d+)", answer)
                if code != 250 or stored is None:
                    raise RuntimeError(f"the intake answered {code} {answer!r}")
                stored_ids.append((index, int(stored.group(1))))
        return stored_ids

    try:
        connect().quit()  # the server is up before the clock matters
        with ThreadPoolExecutor(connections) as pool:
            lanes = list(pool.map(deliver, range(connections)))
        return [raw_id for _index, raw_id in sorted(pair for lane in lanes for pair in lane)]
    finally:
        server.terminate()
        server.wait(timeout=30)


def pipelined(accept_all: Any, workers: int, expected: int) -> tuple[list[int], float]:
    """Accept everything while `workers` worker processes record it; the seconds from the first
    accept until no message is left pending."""
    import subprocess

    from django.db import connection

    from heedful.mail.models import RawMessage

    processes = [subprocess.Popen(
        [sys.executable, "-m", "heedful.cli", "worker", "--queues", "mail", "--interval", "0.05"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        time.sleep(3)  # let the workers import Django and start polling before the clock runs
        started = time.perf_counter()
        records = accept_all()
        while RawMessage.objects.filter(state=RawMessage.State.PENDING).exists():
            time.sleep(0.02)
        seconds = time.perf_counter() - started
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        connection.close()
    assert len(records) == expected
    return records, seconds


def check(records: list[int], generated: Generated) -> dict[str, Any]:
    """Where every message went: states, counts, and replies that missed their thread."""
    from heedful.mail.models import RawMessage
    from heedful.tickets.models import Event, Ticket

    tickets_by_raw = dict(RawMessage.objects.filter(pk__in=records).values_list("pk", "ticket_id"))
    root_ticket: dict[int, int | None] = {}
    misthreaded = 0
    for raw_id, thread in zip(records, generated.thread_of, strict=True):
        ticket = tickets_by_raw.get(raw_id)
        if thread not in root_ticket:
            root_ticket[thread] = ticket
        elif ticket != root_ticket[thread]:
            misthreaded += 1
    states: dict[str, int] = {}
    for state in RawMessage.objects.values_list("state", flat=True):
        states[state] = states.get(state, 0) + 1
    return {
        "messages": len(records),
        "mix": {"new": len(records) - generated.replies, "replies": generated.replies,
                "with_html": generated.with_html, "with_attachment": generated.with_attachment,
                "languages": generated.languages, "charsets": generated.charsets,
                "raw_megabytes": round(sum(len(r) for r in generated.raw) / 1_048_576, 1)},
        "states": states,
        "tickets": Ticket.objects.count(),
        "message_events": Event.objects.filter(kind=Event.Kind.MESSAGE_IN).count(),
        "replies_on_wrong_ticket": misthreaded,
    }


def main() -> None:
    args = parse_args()
    if args.child:
        run_child(args)
    else:
        run_parent(args)


if __name__ == "__main__":
    main()
