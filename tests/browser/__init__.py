"""Browser tests: the web workspace in Debian's Chromium, driven by Playwright."""
