"""Open WebUI against this API, as a new user would use it, in headless Chromium.

Starts the API over the seeds (`rag serve`, a scratch data dir, RAG_CHAT_SOURCES=events) and
Open WebUI offline (`open-webui serve` from its own venv, a scratch DATA_DIR, no auth, no Ollama,
no embedding model, no web search), then drives Open WebUI's page with Playwright on Debian's
chromium: asks "What did Oman say?", watches the answer stream in, checks one citation chip per
[n] and the "N Sources" strip, opens [1] and finds the cited quote, asks a follow-up, and checks
the chat title, the follow-up suggestions and Open WebUI's log. Prints one line per check and a
screenshot path; exits 1 if any check fails. Not part of `make test` (Open WebUI is a large
install): run `make openwebui-check`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What did Oman say?"
FOLLOW_UP = "What did Wang Yi say?"
MODEL = "newsrag-extractive"
# Open WebUI's log lines that mean a request to the model failed.
UPSTREAM_FAILURE = re.compile(
    r"\| ERROR +\||Provider returned error|Traceback|\"POST /api/(?:chat/completions|v1/tasks/\S+) HTTP/1\.1\" [45]\d\d"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(url: str, proc: subprocess.Popen[bytes], seconds: float, log: Path) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if proc.poll() is not None:
            sys.exit(f"FAIL  {url}: the process exited ({proc.returncode}); its log: {log}\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    sys.exit(f"FAIL  {url} did not answer within {seconds:.0f} s; log: {log}")


class Checks:
    def __init__(self) -> None:
        self.failed: list[str] = []

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"{'PASS' if ok else 'FAIL'}  {what}" + (f": {detail}" if detail else ""), flush=True)
        if not ok:
            self.failed.append(what)
        return ok


def start_api(work: Path, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RAG_DATA_DIR": str(work / "api-data"),
        "RAG_CHAT_SOURCES": "events",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ANONYMIZED_TELEMETRY": "False",
    }
    rag = str(ROOT / ".venv" / "bin" / "rag")
    subprocess.run([rag, "ingest", str(ROOT / "seeds")], env=env, check=True, stdout=subprocess.DEVNULL)
    log = work / "api.log"
    return subprocess.Popen(
        [rag, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def openwebui_env(work: Path, api_port: int) -> dict[str, str]:
    """Open WebUI offline against this API: what the README's set-up section lists."""
    suggestions = [
        {"title": ["What did Oman say?", "statements on the war"], "content": "What did Oman say?"},
        {
            "title": ["Which outlets reported", "the Gaza ceasefire talks?"],
            "content": "Which outlets reported the ceasefire talks?",
        },
        {"title": ["What happened", "last week?"], "content": "What happened last week?"},
    ]
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "OLLAMA_"))},
        "DATA_DIR": str(work / "openwebui-data"),
        "WEBUI_SECRET_KEY": "openwebui-check",
        "WEBUI_AUTH": "False",
        "OFFLINE_MODE": "true",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "ENABLE_OLLAMA_API": "false",
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URL": f"http://127.0.0.1:{api_port}/v1",
        "OPENAI_API_KEY": "unused",
        "DEFAULT_MODELS": MODEL,
        "DEFAULT_PROMPT_SUGGESTIONS": json.dumps(suggestions),
        # Open WebUI's own document search is off, and its embedder is a remote one never called,
        # so it does not try to load a local sentence-transformers model.
        "BYPASS_EMBEDDING_AND_RETRIEVAL": "true",
        "RAG_EMBEDDING_ENGINE": "openai",
        "RAG_OPENAI_API_BASE_URL": f"http://127.0.0.1:{api_port}/v1",
        "RAG_OPENAI_API_KEY": "unused",
        "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
        "RAG_RERANKING_MODEL_AUTO_UPDATE": "false",
        "ENABLE_WEB_SEARCH": "false",
        "ENABLE_CODE_INTERPRETER": "false",
        "ENABLE_CODE_EXECUTION": "false",
        "ENABLE_IMAGE_GENERATION": "false",
        "ENABLE_EVALUATION_ARENA_MODELS": "false",
        "ENABLE_VERSION_UPDATE_CHECK": "false",
        "ENABLE_COMMUNITY_SHARING": "false",
        "SHOW_ADMIN_DETAILS": "false",
        "ANONYMIZED_TELEMETRY": "false",
        "DO_NOT_TRACK": "true",
        "SCARF_NO_ANALYTICS": "true",
        "DEFAULT_MODEL_PARAMS": json.dumps({"function_calling": "legacy"}),
        "GLOBAL_LOG_LEVEL": "INFO",
    }


def start_openwebui(exe: str, work: Path, port: int, api_port: int) -> subprocess.Popen[bytes]:
    log = work / "openwebui.log"
    return subprocess.Popen(
        [exe, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=openwebui_env(work, api_port),
        cwd=work,
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )


def assistant_text(page: Any) -> str:
    messages = page.locator("#response-content-container")
    return str(messages.last.inner_text()) if messages.count() else ""


def send(page: Any, text: str) -> None:
    box = page.locator("#chat-input")
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")


def drive(url: str, work: Path, shots: Path, checks: Checks, quote: str) -> None:
    from playwright.sync_api import sync_playwright

    exe = os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        sys.exit("FAIL  Debian's chromium is needed (apt-get install chromium)")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox", "--disable-gpu"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        frames: list[str] = []
        page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.append(str(payload))))
        try:
            _drive(page, url, shots, checks, frames, quote)
        finally:
            page.screenshot(path=str(work / "last.png"), full_page=True)
            (work / "page.html").write_text(page.content())
            (work / "frames.txt").write_text("\n".join(frames))
            browser.close()


def text_deltas_before_done(frames: list[str]) -> int:
    """Open WebUI's socket events for the first answer: how many carried a piece of its text
    before the one that marked it done (the browser saw it stream in when there are several)."""
    count = 0
    for frame in frames:
        if '"done":true' in frame.replace(" ", "") and "chat:completion" in frame:
            return count
        if "output_text.delta" in frame or ('"delta":{"content":"' in frame and '"content":""' not in frame):
            count += 1
    return count


def _drive(page: Any, url: str, shots: Path, checks: Checks, frames: list[str], quote: str) -> None:
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#chat-input").wait_for(timeout=120_000)
    for _ in range(3):  # the first visit's "what's new" dialog
        page.keyboard.press("Escape")
    send(page, QUESTION)
    strip = page.locator("button", has_text=re.compile(r"^\s*\d+\s+Sources?\s*$"))
    strip.first.wait_for(timeout=120_000)
    final = assistant_text(page)
    checks.check(bool(final.strip()) and "don't cover" not in final, "the answer arrives", final[:100] + "…")
    deltas = text_deltas_before_done(frames)
    checks.check(deltas >= 2, "the answer streams in", f"{deltas} text deltas reached the browser before 'done'")
    n_sources = int(strip.first.inner_text().split()[0])
    checks.check(n_sources >= 2, "a sources strip", strip.first.inner_text())
    # Open WebUI draws adjacent markers ([1][2]) as one chip, "Outlet · date +1".
    chips = page.locator("#response-content-container").last.locator("button")
    names = [chips.nth(i).inner_text().strip() for i in range(chips.count())]
    names = [n for n in names if not re.fullmatch(r"\d+\s+Sources?", n)]
    covered = sum(1 + int(m.group(1)) if (m := re.search(r"\+(\d+)$", n)) else 1 for n in names)
    checks.check(
        covered == n_sources, "one citation chip per [n]", f"{len(names)} chips cover {covered} of {n_sources}: {names}"
    )
    page.screenshot(path=str(shots / "openwebui-answer.png"))
    chips.first.click()
    modal = page.locator("[role=dialog], .modal").last
    modal.wait_for(timeout=10_000)
    passage = " ".join(modal.inner_text().split())
    checks.check(
        " ".join(quote.split())[:60] in passage, "[1] opens the cited passage with its quote", quote[:60] + "…"
    )
    page.screenshot(path=str(shots / "openwebui-citation.png"))
    page.keyboard.press("Escape")
    send(page, FOLLOW_UP)
    deadline = time.time() + 120
    while time.time() < deadline:
        if page.locator("#response-content-container").count() >= 2 and "Wang" in assistant_text(page):
            break
        time.sleep(0.2)
    checks.check("Wang" in assistant_text(page), "the follow-up is answered", assistant_text(page)[:100] + "…")
    deadline = time.time() + 60
    title = ""
    while time.time() < deadline:
        title = re.split(r"\s+[•|/]\s+", page.title())[0].strip()
        if title and title not in ("Open WebUI", "New Chat"):
            break
        time.sleep(0.5)
    checks.check(
        bool(title) and len(title.split()) <= 6 and "cover" not in title.lower(), "a short chat title", repr(title)
    )
    follow = page.locator("text=/^What else did .+ say\\?$/")
    deadline = time.time() + 60
    while time.time() < deadline and not follow.count():
        time.sleep(0.5)
    suggestions = page.locator("text=/Follow up/i").count()
    checks.check(
        follow.count() > 0 and suggestions > 0,
        "follow-up suggestions appear",
        follow.first.inner_text() if follow.count() else "",
    )
    page.screenshot(path=str(shots / "openwebui-check.png"), full_page=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--open-webui", default=str(ROOT / ".venv-openwebui" / "bin" / "open-webui"))
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "openwebui"))
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="openwebui-check-"))
    api_port, ui_port = free_port(), free_port()
    checks = Checks()
    api = start_api(work, api_port)
    ui = None
    try:
        wait_for(f"http://127.0.0.1:{api_port}/readyz", api, 180, work / "api.log")
        ui = start_openwebui(str(Path(args.open_webui).resolve()), work, ui_port, api_port)  # it runs in `work`
        wait_for(f"http://127.0.0.1:{ui_port}/health", ui, 600, work / "openwebui.log")
        api_url = f"http://127.0.0.1:{api_port}"
        first = httpx.post(f"{api_url}/v1/ask", json={"question": QUESTION}, timeout=60).json()["citations"][0]
        drive(f"http://127.0.0.1:{ui_port}", work, out, checks, first["quote"])
        time.sleep(2)
        log = (work / "openwebui.log").read_text(errors="replace")
        failures = [line for line in log.splitlines() if UPSTREAM_FAILURE.search(line)]
        checks.check(not failures, "Open WebUI logged no upstream failure", "; ".join(failures[:3]))
        metrics = httpx.get(f"http://127.0.0.1:{api_port}/metrics", timeout=10).text
        tasks = [line for line in metrics.splitlines() if line.startswith("rag_chat_task_prompts_total{")]
        checks.check(bool(tasks), "the API counted Open WebUI's task prompts apart", "; ".join(tasks))
        shutil.copy(work / "openwebui.log", out / "openwebui.log")
        shown = out.relative_to(ROOT) if out.is_relative_to(ROOT) else out
        names = ("openwebui-answer.png", "openwebui-citation.png", "openwebui-check.png")
        print(f"screenshots: {', '.join(str(shown / n) for n in names)}")
        print(f"logs: {work}")
    finally:
        for proc in (ui, api):
            if proc is not None:
                proc.terminate()
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
    print(f"{'PASSED' if not checks.failed else 'FAILED: ' + ', '.join(checks.failed)}")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
