"""The web workspace in a real browser: the app served by uvicorn on a loopback port over a
store holding the demo project (built by the demo's own builder), and Debian's Chromium
driven by Playwright (pytest-playwright's ``page`` fixture, its base URL the server's).

Without ``/usr/bin/chromium`` or without a build of the workspace (``make web``) these
tests are skipped, unless ``CI`` is set: then they fail. Screenshots go to a temporary
folder, or to the folder ``ROSETTA_SCREENSHOTS`` names (``make screenshots``: the ones
the docs show).
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page
from sqlalchemy import Engine

from loopback import serve
from rosetta.api.spa import WEB_DIST
from rosetta.demo.build import DEMO_PASSWORD, MEDIA_DIR, build_demo
from rosetta.services.settings import Settings
from rosetta.store.engine import open_store

CHROMIUM = Path("/usr/bin/chromium")


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {what}")
    pytest.skip(what)


def require_built_workspace() -> None:
    """Skip without a build of the workspace (fail when ``CI`` is set)."""
    if not (WEB_DIST / "index.html").is_file():
        _missing(f"the web workspace is not built in {WEB_DIST}: run `make web`")


@contextmanager
def served(
    engine: Engine, folder: Path, media_roots: tuple[Path, ...], job_workers: int = 0
) -> Iterator[str]:
    """The base URL of the app serving `engine` (data in `folder`, media from
    `media_roots`, `job_workers` job threads) over plain HTTP on loopback; the engine is
    disposed after."""
    settings = Settings(
        media_roots=media_roots,
        data_dir=folder / "data",
        job_workers=job_workers,
        dev=True,
        cookie_secure=False,
    )
    try:
        with serve(engine, settings) as url:
            yield url
    finally:
        engine.dispose()


def log_in(page: Page, name: str, password: str = DEMO_PASSWORD) -> None:
    """Fill in and send the login form the page shows."""
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def words_rect(root: Locator, words: str) -> dict[str, float]:
    """The page rectangle (``left``, ``right``, ``top``, ``height``) of the first
    occurrence of `words` within one text node under `root`."""
    rect: dict[str, float] = root.evaluate(
        """(root, words) => {
            const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
              const at = node.data.indexOf(words);
              if (at < 0) continue;
              const range = document.createRange();
              range.setStart(node, at);
              range.setEnd(node, at + words.length);
              const r = range.getBoundingClientRect();
              return { left: r.left, right: r.right, top: r.top, height: r.height };
            }
            throw new Error(`no "${words}" here`);
        }""",
        words,
    )
    return rect


def select_words(page: Page, root: Locator, words: str) -> None:
    """Select `words` under `root` with the mouse, from its first letter's left half to its
    last letter's right half."""
    rect = words_rect(root, words)
    y = rect["top"] + rect["height"] / 2
    page.mouse.move(rect["left"] + 1, y)
    page.mouse.down()
    page.mouse.move(rect["right"] - 1, y, steps=5)
    page.mouse.up()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the tests save their screenshots."""
    named = os.environ.get("ROSETTA_SCREENSHOTS")
    folder = Path(named) if named else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of the app serving the demo project and the built workspace."""
    require_built_workspace()
    folder = tmp_path_factory.mktemp("browser")
    engine = open_store(f"sqlite:///{folder / 'demo.db'}")
    build_demo(engine)
    with served(engine, folder, (MEDIA_DIR,)) as url:
        yield url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Launch Debian's Chromium (never a browser Playwright downloads)."""
    if not CHROMIUM.is_file():
        _missing(f"{CHROMIUM} is missing (Debian package chromium; `make test` installs it)")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM)}


@pytest.fixture(scope="session")
def base_url(live_server: str) -> str:
    """Pages open relative to the live server (replaces pytest-base-url's fixture)."""
    return live_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A desktop-sized window."""
    return {**browser_context_args, "viewport": {"width": 1360, "height": 860}}


@dataclass(frozen=True)
class DemoServer:
    """A server of one test's own: its base URL and the store it serves."""

    url: str
    engine: Engine


@pytest.fixture
def fresh_demo(tmp_path: Path) -> Iterator[DemoServer]:
    """A fresh demo project served for one test alone, for tests that change its work (the
    session's `live_server` stays as the other tests expect it)."""
    require_built_workspace()
    engine = open_store(f"sqlite:///{tmp_path / 'demo.db'}")
    build_demo(engine)
    with served(engine, tmp_path, (MEDIA_DIR,)) as url:
        yield DemoServer(url, engine)
