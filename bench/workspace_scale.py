"""The workspace at scale: ``python bench/workspace_scale.py [--runs 5] [--minutes 60] [--panes P,…] [--json FILE]``.

Builds a store through the services (project, `import_samples`, `prepare_project`) holding
one sample with an image of 1,000 boxes, a text of 2,000 spans, an hour of 16 kHz mono WAV
with 2,000 transcript segments and an hour of 320×240 25 fps H.264 video (ffmpeg's
``testsrc``, ``-preset ultrafast``), with their peaks, frame table and thumbnails
prepared. Serves the app with uvicorn in a process of its own, drives Debian's Chromium
with Playwright, logs in, and opens the sample ``--runs`` times, each in a fresh browser
context (an empty HTTP cache). Per run it reports:

- page ready: navigation start to the first frame in which every pane is ready (image
  pane ``data-state="done"`` with its canvas, the text's rows in view drawn with their
  spans, the waveform drawn from its peaks with its 2,000 regions (``data-regions``) and
  the transcript's segments in view drawn (both lists are virtualised: ``data-rows`` says
  how many rows they hold), the video showing frame 0 ``data-frame="0"``), each pane's
  own time, and the long tasks (> 50 ms) before it;
- the main thread's work from navigation until 2 s after ready (CDP
  ``Performance.getMetrics``: ``TaskDuration``, ``ScriptDuration``, ``LayoutDuration`` and
  ``LayoutCount``), which also counts work cut into many short tasks that the long-task
  list misses (a layout forced per waveform region, say);
- memory after a garbage collection (CDP ``Performance.getMetrics``): JS heap used and
  total, DOM nodes;
- bytes of each media file received (Resource Timing ``transferSize``, and Chromium's
  network events, which also count the media elements' range requests) against its size,
  and of the prepared artefacts (peaks, frame table, thumbnails) and the sample's JSON;
- interactions timed in the page: a click on a box until the inspector shows it (and the
  next frame), and, from the top of its list, jumping to a late transcript segment and a
  late text span until it is drawn and in the middle of the view, and the next frame; the
  waveform zoomed in `ZOOM_STEPS` times with its key and back out to the whole file, each
  step until the next frame.

``--panes`` (of ``image,text,audio,video``, all by default) leaves the other streams out of
the sample (``--panes image``: the image pane alone, for its own selection cost).
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import soundfile
from PIL import Image
from playwright.sync_api import Browser, CDPSession, Page, ViewportSize, sync_playwright
from playwright.sync_api import TimeoutError as PageTimeout

from rosetta.core.geometry import Box, TextSpan, TranscriptSegment, Word
from rosetta.core.modality import Modality
from rosetta.core.schema import Annotation, MediaInfo, Sample, Stream
from rosetta.demo.build import ONTOLOGY_FILE
from rosetta.media.probe import probe
from rosetta.services.accounts import create_user
from rosetta.services.importer import import_samples
from rosetta.services.media_prep import prepare_project
from rosetta.services.projects import create_project, load_ontology_file
from rosetta.store.engine import open_store
from rosetta.store.events import Actor

CHROMIUM = "/usr/bin/chromium"
PROJECT = "scale"
SAMPLE = "scale"
USER, PASSWORD = "bench", "bench-password"
RATE = 16000
IMAGE_SIZE = (1920, 1080)
#: The boxes' grid on the image (columns × rows = 1,000) and each box's size in pixels.
GRID = (40, 25)
BOX = (40, 34)
SPANS = 2000
SEGMENTS = 2000
WORDS_PER_SEGMENT = 5
BOX_LABELS = ("person", "car", "cup", "cat", "flag")
#: Which boxes are clicked and which segments and spans scrolled to.
CLICKED = (0, 517, 999)
SCROLLED = (1000, 1999)
#: How many times the waveform is zoomed in (×2 each), then out again.
ZOOM_STEPS = 8
VIEWPORT: ViewportSize = {"width": 1360, "height": 860}
PATIENCE_MS = 120_000

IDS = {
    "image": f"{SAMPLE}.photo",
    "text": f"{SAMPLE}.script",
    "audio": f"{SAMPLE}.audio",
    "video": f"{SAMPLE}.video",
}
#: The panes (streams) the sample can hold; `--panes` picks some.
PANES = tuple(IDS)
#: The media streams' names, modalities and files.
MEDIA_FILES = {
    "image": ("photo", Modality.IMAGE, "photo.png"),
    "audio": ("microphone", Modality.AUDIO, "hour.wav"),
    "video": ("camera", Modality.VIDEO, "hour.mp4"),
}


# --- the media and the sample ---------------------------------------------------------------


def write_audio(path: Path, seconds: int) -> None:
    """`seconds` of 16 kHz mono 16-bit PCM: a 440 Hz tone whose loudness changes every minute."""
    minute = np.sin(2 * np.pi * 440 * np.arange(RATE * 60) / RATE).astype(np.float32)
    with soundfile.SoundFile(path, "w", samplerate=RATE, channels=1, subtype="PCM_16") as file:
        for m in range(seconds // 60):
            file.write(minute * (0.1 + 0.2 * (m % 4)))


def write_video(path: Path, seconds: int) -> float:
    """`seconds` of ffmpeg's test pattern, 320×240 at 25 fps, H.264 with the index at the
    front; the seconds encoding took."""
    began = time.perf_counter()
    subprocess.run(
        [
            *("ffmpeg", "-hide_banner", "-loglevel", "error", "-y"),
            *("-f", "lavfi", "-i", f"testsrc=size=320x240:rate=25:duration={seconds}"),
            *("-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"),
            *("-movflags", "+faststart", str(path)),
        ],
        check=True,
    )
    return time.perf_counter() - began


def write_image(path: Path) -> None:
    """A smooth colour gradient of `IMAGE_SIZE` as PNG."""
    width, height = IMAGE_SIZE
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) * 127 // (width + height)], -1)
    Image.fromarray(pixels.astype(np.uint8)).save(path)


def script_text() -> tuple[str, list[tuple[int, int]]]:
    """A text of `SPANS` lines and the code-point range of one word in each."""
    lines, spans, offset = [], [], 0
    for n in range(SPANS):
        line = f"Line {n}: the astronaut holds a red cup beside the car. "
        start = offset + line.index("cup")
        spans.append((start, start + 3))
        lines.append(line)
        offset += len(line)
    return "".join(lines), spans


def box_at(index: int) -> tuple[float, float]:
    """The top-left corner of box `index` of the grid, in image pixels."""
    columns, rows = GRID
    cell_w, cell_h = IMAGE_SIZE[0] / columns, IMAGE_SIZE[1] / rows
    return round((index % columns) * cell_w + 4, 1), round((index // columns) * cell_h + 4, 1)


def transcript(index: int, seconds: int) -> TranscriptSegment:
    """Segment `index` of `SEGMENTS` spread over `seconds`, with its words' timings."""
    slot = seconds / SEGMENTS
    start = index * slot + slot * 0.05
    words = [f"word{index}-{k}" for k in range(WORDS_PER_SEGMENT)]
    step = slot * 0.9 / len(words)
    return TranscriptSegment(
        start=round(start, 3),
        end=round(start + step * len(words), 3),
        text=" ".join(words),
        words=[
            Word(text=w, start=round(start + k * step, 3), end=round(start + (k + 1) * step, 3))
            for k, w in enumerate(words)
        ],
    )


def scale_sample(folder: Path, seconds: int, panes: tuple[str, ...] = PANES) -> Sample:
    """The sample over the media in `folder` (see the module), with the streams of `panes`."""
    text, spans = script_text()

    def stream(pane: str) -> Stream:
        if pane == "text":
            media = MediaInfo(length=len(text), mime="text/plain")
            return Stream(
                id=IDS[pane], name="script", modality=Modality.TEXT, text=text, media=media
            )
        name, modality, file = MEDIA_FILES[pane]
        uri = str(folder / file)
        return Stream(
            id=IDS[pane], name=name, modality=modality, uri=uri, media=probe(uri, modality)
        )

    streams = [stream(pane) for pane in PANES if pane in panes]
    w, h = BOX
    boxes = [
        Annotation(
            id=f"{SAMPLE}.box-{i}",
            stream=IDS["image"],
            label=BOX_LABELS[i % len(BOX_LABELS)],
            geometry=Box(x=box_at(i)[0], y=box_at(i)[1], w=w, h=h),
        )
        for i in range(GRID[0] * GRID[1])
    ]
    mentions = [
        Annotation(
            id=f"{SAMPLE}.span-{i}",
            stream=IDS["text"],
            label="cup",
            geometry=TextSpan(start=start, end=end),
        )
        for i, (start, end) in enumerate(spans)
    ]
    segments = [
        Annotation(
            id=f"{SAMPLE}.segment-{i}",
            stream=IDS["audio"],
            label="speech",
            geometry=transcript(i, seconds),
        )
        for i in range(SEGMENTS)
    ]
    return Sample(
        id=SAMPLE,
        streams=streams,
        annotations=[
            *(boxes if "image" in panes else []),
            *(mentions if "text" in panes else []),
            *(segments if "audio" in panes else []),
        ],
    )


@dataclass(frozen=True)
class Built:
    """The store and what building it took."""

    database_url: str
    media: dict[str, int]
    timings: dict[str, float]


def build(folder: Path, seconds: int, panes: tuple[str, ...] = PANES) -> Built:
    """Write the media into `folder` and a store holding the sample of `panes`, prepared."""
    timings: dict[str, float] = {}
    began = time.perf_counter()
    if "audio" in panes:
        write_audio(folder / "hour.wav", seconds)
        timings["audio_written_s"] = time.perf_counter() - began
    if "video" in panes:
        timings["video_encoded_s"] = write_video(folder / "hour.mp4", seconds)
    write_image(folder / "photo.png")
    database_url = f"sqlite:///{folder / 'scale.db'}"
    engine = open_store(database_url)
    try:
        actor = Actor("scale-builder")
        project = create_project(engine, PROJECT, load_ontology_file(ONTOLOGY_FILE), actor)
        began = time.perf_counter()
        import_samples(engine, project.id, [scale_sample(folder, seconds, panes)], actor)
        timings["imported_s"] = time.perf_counter() - began
        began = time.perf_counter()
        prepare_project(engine, actor, project.id)
        timings["prepared_s"] = time.perf_counter() - began
        create_user(engine, USER, PASSWORD, is_admin=True)
    finally:
        engine.dispose()
    media = {
        IDS[pane]: (folder / file).stat().st_size
        for pane, (_, _, file) in MEDIA_FILES.items()
        if pane in panes
    }
    return Built(database_url, media, timings)


# --- the server -----------------------------------------------------------------------------


@contextmanager
def serve(database_url: str, folder: Path) -> Iterator[str]:
    """The app over the store, served by uvicorn in a process of its own; its base URL."""
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        port = probe_socket.getsockname()[1]
    environment = {
        **os.environ,
        "ROSETTA_DATABASE_URL": database_url,
        "ROSETTA_MEDIA_ROOTS": json.dumps([str(folder)]),
        "ROSETTA_DATA_DIR": str(folder / "data"),
        "ROSETTA_JOB_WORKERS": "0",
        "ROSETTA_DEV": "true",
        "ROSETTA_COOKIE_SECURE": "false",
    }
    command = [
        *(sys.executable, "-m", "uvicorn", "--factory", "rosetta.api.app:app_from_environment"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]
    server = subprocess.Popen(command, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"the server exited with {server.returncode} while starting")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server at {url} did not answer /healthz within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(30)


# --- the page -------------------------------------------------------------------------------

#: Each pane's "ready": a selector that matches once it is.
READY = {
    "image": f'section[data-stream="{IDS["image"]}"] .image-frame[data-state="done"] canvas',
    "text": f'section[data-stream="{IDS["text"]}"] .text-body[data-rows] mark[data-annotations]',
    "waveform": (
        f'section[data-stream="{IDS["audio"]}"] '
        f'.waveform[data-state="done"][data-regions="{SEGMENTS}"]'
    ),
    "transcript": (
        f'section[data-stream="{IDS["audio"]}"] '
        f'.transcript[data-rows="{SEGMENTS}"] p[data-annotation]'
    ),
    "video": f'section[data-stream="{IDS["video"]}"] .player-video[data-frame="0"]',
}
#: The pane each check of `READY` belongs to (itself where not named).
PANE_OF = {"waveform": "audio", "transcript": "audio"}


def ready_of(panes: tuple[str, ...]) -> dict[str, str]:
    """The checks of `READY` for `panes`."""
    return {name: check for name, check in READY.items() if PANE_OF.get(name, name) in panes}


#: Installed before the sample page's scripts: checks the panes every frame and records
#: when each became ready, and the long tasks.
WATCH = """
(ready) => {
  if (!location.pathname.startsWith("/app/s/")) return;
  const state = { panes: {}, ready: null, longTasks: [] };
  window.__bench = state;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) state.longTasks.push([entry.startTime, entry.duration]);
  }).observe({ type: "longtask", buffered: true });
  const tick = () => {
    for (const [name, selector] of Object.entries(ready)) {
      if (!(name in state.panes) && document.querySelector(selector)) state.panes[name] = performance.now();
    }
    if (Object.keys(state.panes).length === Object.keys(ready).length) state.ready = performance.now();
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""


def segment(index: int) -> str:
    """The selector of transcript segment `index` (drawn only while in view)."""
    return f'.transcript p[data-annotation="{SAMPLE}.segment-{index}"]'


def mention(index: int) -> str:
    """The selector of (the first run of) text span `index` (drawn only while in view)."""
    return f'mark[data-annotations~="{SAMPLE}.span-{index}"]'


#: Arms a timer: from the next pointerdown until the inspector's text holds `needle`, and
#: until the frame after that.
ARM_SELECTION = """
(needle) => {
  const state = window.__bench;
  Object.assign(state, { t0: null, t1: null, t2: null });
  addEventListener("pointerdown", () => { state.t0 = performance.now(); }, { capture: true, once: true });
  const region = document.querySelector('[aria-label="Selection"]');
  const observer = new MutationObserver(() => {
    if (state.t1 !== null || !region.textContent.includes(needle)) return;
    state.t1 = performance.now();
    observer.disconnect();
    requestAnimationFrame(() => setTimeout(() => { state.t2 = performance.now(); }, 0));
  });
  observer.observe(region, { subtree: true, childList: true, characterData: true });
}
"""

#: Scrolls the element `selector` names to the middle of the view; ms to the next frame.
SCROLL = """
async ([list, selector, key, target]) => {
  const box = document.querySelector(list);
  const frame = () => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  const drawn = () => [...box.querySelectorAll(`[data-${key}]`)].map((row) => Number(row.dataset[key]));
  // untimed: find where the list draws the row (its rows carry `data-${key}`, increasing)
  let [low, high] = [0, box.scrollHeight];
  for (let step = 0; step < 40 && !box.querySelector(selector); step += 1) {
    box.scrollTop = (low + high) / 2;
    await frame();
    if (target < Math.min(...drawn())) high = box.scrollTop;
    else low = box.scrollTop;
  }
  const position = box.scrollTop;
  box.scrollTop = 0;
  await frame();
  await frame();
  // timed: jump there, until the row is drawn and in the middle of the view, and a frame
  const began = performance.now();
  box.scrollTop = position;
  while (!box.querySelector(selector)) await new Promise((done) => requestAnimationFrame(done));
  box.querySelector(selector).scrollIntoView({ block: "center" });
  await frame();
  return performance.now() - began;
}
"""

#: Presses the zoom key `key` (the page listens on the window); ms to the next frame.
ZOOM = """
async (key) => {
  const began = performance.now();
  window.dispatchEvent(new KeyboardEvent("keydown", { key, bubbles: true }));
  await new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0)));
  return performance.now() - began;
}
"""

RESOURCES = """
() => performance.getEntriesByType("resource").map((e) => ({
  name: e.name, initiator: e.initiatorType, transfer: e.transferSize, body: e.encodedBodySize,
}))
"""


def log_in(page: Page, url: str) -> None:
    page.goto(f"{url}/app/login")
    page.get_by_label("User name").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("list", name="Projects").wait_for()


def watch_network(page: Page) -> dict[str, int]:
    """Body bytes received per URL path from now on (Chromium's network events)."""
    received: dict[str, int] = {}
    urls: dict[str, str] = {}
    session = page.context.new_cdp_session(page)
    session.send("Network.enable")

    def on_request(event: dict[str, Any]) -> None:
        urls[event["requestId"]] = event["request"]["url"]

    def on_data(event: dict[str, Any]) -> None:
        path = urls.get(event["requestId"], "").split("?")[0].split("://", 1)[-1]
        path = path[path.find("/") :]
        received[path] = received.get(path, 0) + event["dataLength"]

    session.on("Network.requestWillBeSent", on_request)
    session.on("Network.dataReceived", on_data)
    return received


def one_run(browser: Browser, url: str, panes: tuple[str, ...] = PANES) -> dict[str, Any]:
    """Open the sample of `panes` in a fresh context and measure it (see the module)."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        log_in(page, url)
        received = watch_network(page)
        work = page.context.new_cdp_session(page)
        work.send("Performance.enable")
        page.add_init_script(f"({WATCH})({json.dumps(ready_of(panes))})")
        work_before = main_thread(work)
        page.goto(f"{url}/app/s/{SAMPLE}?project={PROJECT}", wait_until="commit")
        try:
            page.wait_for_function("() => window.__bench?.ready != null", timeout=PATIENCE_MS)
        except PageTimeout:
            missing = page.evaluate("() => window.__bench?.panes ?? {}")
            raise RuntimeError(f"not every pane was ready in {PATIENCE_MS} ms: {missing}") from None
        state = page.evaluate("() => window.__bench")
        page.wait_for_timeout(2000)  # let the media elements finish their metadata reads
        work_after = main_thread(work)
        result: dict[str, Any] = {
            "ready_ms": state["ready"],
            "panes_ms": state["panes"],
            "long_tasks": len([d for s, d in state["longTasks"] if s < state["ready"]]),
            "blocking_ms": sum(
                max(0.0, d - 50) for s, d in state["longTasks"] if s < state["ready"]
            ),
            "longest_task_ms": max((d for _, d in state["longTasks"]), default=0.0),
        }
        result["main_thread"] = {k: work_after[k] - work_before[k] for k in work_after}
        result |= memory(page)
        result["resources"] = page.evaluate(RESOURCES)
        result["received"] = dict(received)
        result["select_box_ms"] = [select_box(page, i) for i in CLICKED if "image" in panes]
        _, spans = script_text()
        scrolled = {
            "transcript": (
                "audio",
                [
                    [f'section[data-stream="{IDS["audio"]}"] .transcript', segment(i), "index", i]
                    for i in SCROLLED
                ],
            ),
            "text": (
                "text",
                [
                    [
                        f'section[data-stream="{IDS["text"]}"] .text-body',
                        mention(i),
                        "offset",
                        spans[i][0],
                    ]
                    for i in SCROLLED
                ],
            ),
        }
        result["scroll_ms"] = {
            what: [page.evaluate(SCROLL, target) for target in targets]
            for what, (pane, targets) in scrolled.items()
            if pane in panes
        }
        if "audio" in panes:
            result["zoom_ms"] = {
                way: [page.evaluate(ZOOM, key) for _ in range(ZOOM_STEPS)]
                for way, key in (("in", "="), ("out", "-"))
            }
        return result
    finally:
        context.close()


def main_thread(session: CDPSession) -> dict[str, float]:
    """The page's main-thread work so far (CDP, Performance enabled): ms in tasks, in
    scripts and in layout, and the layouts done."""
    metrics = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
    return {
        "task_ms": metrics["TaskDuration"] * 1000,
        "script_ms": metrics["ScriptDuration"] * 1000,
        "layout_ms": metrics["LayoutDuration"] * 1000,
        "layouts": metrics["LayoutCount"],
    }


def memory(page: Page) -> dict[str, float]:
    """JS heap and DOM nodes after a garbage collection (CDP)."""
    session = page.context.new_cdp_session(page)
    session.send("Performance.enable")
    session.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in session.send("Performance.getMetrics")["metrics"]}
    return {
        "heap_used_mb": metrics["JSHeapUsedSize"] / 2**20,
        "heap_total_mb": metrics["JSHeapTotalSize"] / 2**20,
        "dom_nodes": metrics["Nodes"],
    }


def select_box(page: Page, index: int) -> dict[str, float]:
    """Click box `index`; ms from the pointer going down to the inspector showing it, and
    to the frame after."""
    x, y = box_at(index)
    w, h = BOX
    canvas = page.locator(f'section[data-stream="{IDS["image"]}"] .image-frame canvas').first
    canvas.scroll_into_view_if_needed()
    frame = canvas.bounding_box()
    assert frame is not None, "the image's canvas is not laid out"
    scale = frame["width"] / IMAGE_SIZE[0]
    page.evaluate(ARM_SELECTION, f"at {x:g},{y:g}")
    page.mouse.click(frame["x"] + (x + w / 2) * scale, frame["y"] + (y + h / 2) * scale)
    page.wait_for_function("() => window.__bench.t2 != null", timeout=30_000)
    timing = page.evaluate("() => window.__bench")
    return {"inspector": timing["t1"] - timing["t0"], "frame": timing["t2"] - timing["t0"]}


# --- the report -----------------------------------------------------------------------------


def bytes_of(runs: list[dict[str, Any]], fragment: str) -> tuple[int, int]:
    """The most Resource Timing transfer bytes and network-event body bytes of the URLs
    holding `fragment` that a run read."""
    timing = max(
        sum(r["transfer"] for r in run["resources"] if fragment in r["name"]) for run in runs
    )
    events = max(sum(n for path, n in run["received"].items() if fragment in path) for run in runs)
    return timing, events


def summary(runs: list[dict[str, Any]], built: Built) -> dict[str, Any]:
    """Medians (and worsts) over the runs; bytes: the most a run read."""

    def median(values: list[float]) -> float:
        return round(statistics.median(values), 1)

    panes = {name: median([r["panes_ms"][name] for r in runs]) for name in runs[0]["panes_ms"]}
    media = {}
    for stream, size in built.media.items():
        timing, events = bytes_of(runs, f"/media/{stream}")
        media[stream] = {
            "file_bytes": size,
            "resource_timing_bytes": timing,
            "network_bytes": events,
        }
    artefacts = {kind: bytes_of(runs, f"/{kind}")[1] for kind in ("peaks", "frames", "thumbnails")}
    artefacts["sample_json"] = bytes_of(runs, f"/api/samples/{SAMPLE}")[1]
    return {
        "runs": len(runs),
        "build": {k: round(v, 1) for k, v in built.timings.items()},
        "ready_ms": {
            "median": median([r["ready_ms"] for r in runs]),
            "worst": round(max(r["ready_ms"] for r in runs), 1),
        },
        "panes_ms": panes,
        "long_tasks_before_ready": median([r["long_tasks"] for r in runs]),
        "blocking_ms": median([r["blocking_ms"] for r in runs]),
        "longest_task_ms": median([r["longest_task_ms"] for r in runs]),
        "main_thread_to_ready_plus_2s": {
            part: median([r["main_thread"][part] for r in runs]) for part in runs[0]["main_thread"]
        },
        "heap_used_mb": median([r["heap_used_mb"] for r in runs]),
        "heap_total_mb": median([r["heap_total_mb"] for r in runs]),
        "dom_nodes": median([r["dom_nodes"] for r in runs]),
        "media_bytes": media,
        "artefact_bytes": artefacts,
        "select_box_ms": {
            part: median([s[part] for r in runs for s in r["select_box_ms"]])
            for part in ("inspector", "frame")
            if runs[0]["select_box_ms"]
        },
        "select_box_worst_ms": max(
            (round(s["frame"], 1) for r in runs for s in r["select_box_ms"]), default=None
        ),
        "scroll_ms": {
            what: median([t for r in runs for t in r["scroll_ms"][what]])
            for what in runs[0]["scroll_ms"]
        },
        "zoom_step_ms": {
            way: {
                "median": median([t for r in runs for t in r["zoom_ms"][way]]),
                "worst": round(max(t for r in runs for t in r["zoom_ms"][way]), 1),
            }
            for way in runs[0].get("zoom_ms", {})
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="How many times to open the sample.")
    parser.add_argument("--minutes", type=int, default=60, help="Length of the audio and video.")
    parser.add_argument("--json", type=Path, help="Also write every run's figures here.")
    parser.add_argument(
        "--panes",
        default=",".join(PANES),
        type=lambda names: tuple(names.split(",")),
        help=f"The streams the sample holds, comma-separated, of {', '.join(PANES)} (default: all).",
    )
    args = parser.parse_args()
    if unknown := set(args.panes) - set(PANES):
        parser.error(f"unknown panes {', '.join(sorted(unknown))}; choose from {', '.join(PANES)}")
    with tempfile.TemporaryDirectory(prefix="rosetta-scale-") as name:
        folder = Path(name)
        built = build(folder, args.minutes * 60, args.panes)
        with serve(built.database_url, folder) as url, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM)
            try:
                runs = [one_run(browser, url, args.panes) for _ in range(args.runs)]
            finally:
                browser.close()
    figures = summary(runs, built)
    if args.json:
        args.json.write_text(json.dumps({"summary": figures, "runs": runs}, indent=2))
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
