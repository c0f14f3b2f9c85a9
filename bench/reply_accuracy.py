"""Reply extraction accuracy over the labelled corpus in tests/mail/corpus/.

    .venv/bin/python bench/reply_accuracy.py [--corpus DIR]

Each case (one TOML file) holds the text and/or HTML part of a real-looking message and the reply
text a person would call new. A case counts as exact when extract_reply's answer equals the
expected text after line ends, trailing spaces and runs of blank lines are made uniform. Prints
ONE JSON document: {"cases": N, "exact": n, "accuracy": x, "by_client": ..., "failures": [...],
"long_inputs_ms": ...} (the last: time on a pasted 5,000-line log and a 20,000-paragraph HTML mail).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tomllib
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from heedful.mail.replies import extract_reply, tidy  # noqa: E402

CORPUS = ROOT / "tests" / "mail" / "corpus"


def evaluate(corpus: Path = CORPUS) -> dict[str, Any]:
    cases = sorted(corpus.glob("*.toml"))
    failures: list[dict[str, str]] = []
    by_client: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    started = time.perf_counter()
    for path in cases:
        case = tomllib.loads(path.read_text(encoding="utf-8"))
        got = extract_reply(case.get("text", ""), case.get("html", ""))
        ok = tidy(got) == tidy(case["expected"])
        by_client[case.get("client", "?")][0] += 1
        by_client[case.get("client", "?")][1] += ok
        if not ok:
            failures.append({"case": path.stem, "expected": tidy(case["expected"]), "got": tidy(got)})
    elapsed = time.perf_counter() - started
    exact = len(cases) - len(failures)
    return {
        "cases": len(cases),
        "exact": exact,
        "accuracy": round(exact / len(cases), 4) if cases else 0.0,
        "by_client": {k: {"cases": v[0], "exact": v[1]} for k, v in sorted(by_client.items())},
        "ms_per_case": round(1000 * elapsed / max(len(cases), 1), 3),
        "failures": failures,
    }


def long_inputs_ms() -> dict[str, float]:
    """Time on inputs that would expose super-linear patterns: a pasted log, a long HTML mail."""
    log = "Here is the log:\n" + "\n".join(
        f"2024-06-03 10:00:{i % 60:02d} ERROR worker[{i}]: connection reset by peer" for i in range(5000))
    html = "<div>" + "<p>word word word " * 20000 + "</div>"
    timings = {}
    for name, (text, markup) in {"log_5000_lines": (log, ""), "html_20000_paragraphs": ("", html)}.items():
        started = time.perf_counter()
        extract_reply(text, markup)
        timings[name] = round(1000 * (time.perf_counter() - started), 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    args = parser.parse_args()
    result = evaluate(args.corpus)
    result["long_inputs_ms"] = long_inputs_ms()
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
