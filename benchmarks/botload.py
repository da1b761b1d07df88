"""Answers per second through the bot: the real Application, long-polling the fake Bot API
server on 127.0.0.1, answering a burst of private questions.

    python benchmarks/botload.py [--questions 500] [--warm-up 200] [--data-dir DIR]
                                 [--bench-questions FILE] [--profile 30]

AIORateLimiter is off: with it the bot is held to Telegram's ~30 messages/s, and this measures
the bot's own capacity. The fake server runs in a process of its own, on the machine's other core.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import multiprocessing
import pstats
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.telegram.app import build_application  # noqa: E402
from retrieval.config import Settings  # noqa: E402
from retrieval.evaluate import read_questions  # noqa: E402
from retrieval.library import Library  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

FIRST_USER = 10_000_000


def _serve_fake_telegram(ready: Connection) -> None:
    """Child process: the fake Bot API server, plus two methods the benchmark drives it by."""
    telegram = FakeTelegram().start()

    def enqueue(params: dict[str, Any]) -> bool:
        for user_id, text in params["items"]:
            telegram.send_private_text(user_id, text)
        return True

    def answered(params: dict[str, Any]) -> int:
        # calls_to() deep-copies every call; polling it would load the server more than the bot.
        return sum(c.method == "sendMessage" and c.error_code is None for c in telegram._calls)

    telegram.register_method("benchEnqueue", enqueue)
    telegram.register_method("benchAnswered", answered)
    ready.send((telegram.token, telegram.base_url, telegram.base_file_url))
    ready.recv()  # until the parent says stop
    telegram.stop()
    ready.send(time.process_time())


async def answers_per_second(
    library: Library, questions: list[str], n: int = 500, warm_up: int = 0
) -> dict[str, float]:
    """Queue `n` questions from `n` different users at once; time until every reply is sent.
    With `warm_up`, a first burst of that many is answered and timed apart ("cold"): the
    first answers after a start also read what the library keeps from then on (the town
    table, the index's pages), which a running bot has done long before a burst comes.

    The fake server runs in its own process, so the bot's process measures only the bot."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("spawn").Process(target=_serve_fake_telegram, args=(child,))
    server.start()
    out: dict[str, float] = {}
    try:
        token, base_url, base_file_url = parent.recv()
        settings = Settings(  # type: ignore[call-arg]
            _env_file=None,
            data_dir=library.settings.data_dir,
            bundled_reports=library.settings.bundled_reports,
            telegram_token=token,
            api_base_url=base_url,
            api_base_file_url=base_file_url,
            rate_limiter=False,
            user_rate_per_minute=10**6,
        )
        app = build_application(settings, library)
        async with app, httpx.AsyncClient(base_url=f"{base_url}{token}/") as control:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)

            async def burst(first_user: int, count: int, before: int) -> tuple[int, float, float]:
                """Answers, seconds and bot CPU seconds of `count` questions sent at once."""
                items = [[first_user + i, questions[i % len(questions)]] for i in range(count)]
                started, cpu_started = time.perf_counter(), time.process_time()
                await control.post("benchEnqueue", json={"items": items})
                deadline = started + max(60.0, count / 5)
                answered = 0
                while answered < count and time.perf_counter() < deadline:
                    await asyncio.sleep(0.05)
                    answered = (await control.post("benchAnswered")).json()["result"] - before
                return answered, time.perf_counter() - started, time.process_time() - cpu_started

            try:
                if warm_up:
                    done, seconds, _ = await burst(FIRST_USER + n, warm_up, 0)
                    out["cold_answers"], out["cold_answers_per_second"] = done, done / seconds
                answered, elapsed, cpu = await burst(FIRST_USER, n, int(out.get("cold_answers", 0)))
            finally:
                await app.updater.stop()
                await app.stop()
    finally:
        parent.send("stop")
        server_cpu = parent.recv() if parent.poll(10) else float("nan")
        server.join(10)
    return out | {
        "answers": answered,
        "seconds": elapsed,
        "answers_per_second": answered / elapsed,
        "bot_cpu_seconds": cpu,
        "server_cpu_seconds": server_cpu,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument(
        "--warm-up", type=int, default=200, help="questions answered first, timed apart (default 200)"
    )
    parser.add_argument("--data-dir", type=Path, help="an existing data dir (default: the bundled reports)")
    parser.add_argument(
        "--bench-questions", type=Path, help="a bench.py questions.json (default: the public question set)"
    )
    parser.add_argument(
        "--profile", type=int, default=0, help="print this many lines of cProfile of the event loop's thread"
    )
    args = parser.parse_args()
    if args.bench_questions:
        questions = json.loads(args.bench_questions.read_text("utf-8"))
    else:
        questions = [q.q for q in read_questions(ROOT / "tests/data/questions.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp)
        library = Library(Settings(_env_file=None, data_dir=data_dir))  # type: ignore[call-arg]
        # cProfile sees only the thread it runs in: the event loop's (PTB, httpx, our handlers),
        # not the answering threads (benchmarks/profile_answers.py profiles answering).
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        result = asyncio.run(answers_per_second(library, questions, args.questions, args.warm_up))
        if profile:
            profile.disable()
    if args.warm_up:
        print(f"warm-up: {result['cold_answers']:.0f} answers, {result['cold_answers_per_second']:.0f}/s")
    print(
        f"{result['answers']} answers in {result['seconds']:.2f} s: "
        f"{result['answers_per_second']:.0f} answers/s through the bot (rate limiter off); "
        f"CPU: bot {result['bot_cpu_seconds']:.2f} s, "
        f"fake server {result['server_cpu_seconds']:.2f} s (both bursts)"
    )
    if profile:
        pstats.Stats(profile).sort_stats("tottime").print_stats(args.profile)


if __name__ == "__main__":
    main()
