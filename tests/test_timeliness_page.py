"""The timeliness page as a reader's browser draws it: headless Chromium renders the charts
and tables, at desktop and phone widths, and no child's or family's name is in the page."""
from __future__ import annotations

import re
import struct

import pytest

from bot import browser, timeliness, timeliness_formats
from bot.db.models import Case, ConsentRow
from bot.db.session import session_scope
from bot.demo import load_demo
from bot.demo_history import load_history

pytestmark = pytest.mark.skipif(browser.find() is None,
                                reason="Chromium is not installed (Debian package chromium; `make browser`)")


def png_size(path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", head[16:24])


@pytest.fixture
def page(migrated, tmp_path):
    with session_scope(migrated) as s:
        load_demo(s)
        load_history(s)
        report = timeliness.for_reader(s, "tess.tm")
        family_words = {c.child_name for c in s.query(Case)} | {c.referrer_name for c in s.query(Case) if c.referrer_name}
        family_words |= {c.given_by for c in s.query(ConsentRow) if c.given_by}
    path = tmp_path / "timeliness.html"
    path.write_text(timeliness_formats.html(report), encoding="utf-8")
    return path, report, family_words


def test_the_browser_draws_both_charts_and_every_table(page):
    path, report, _ = page
    dom = browser.rendered_dom(path)
    assert dom.count("<svg") == 2 and dom.count("<table") == 4  # by rule, worker, month; overdue now
    assert dom.count("<tr>") >= len(report.rules) + len(report.by_worker) + len(report.by_month)
    # Nothing fetched when the page is opened: no script, stylesheet link, or remote source.
    assert "<script" not in dom and "<link" not in dom
    assert not re.search(r"""(src=|href=|url\()\s*["']?(https?:)?//""", dom)


def test_the_picture_holds_more_than_an_empty_page_at_desktop_and_phone_widths(page, tmp_path):
    path, _, _ = page
    blank = tmp_path / "blank.html"
    blank.write_text("<!doctype html><html><body></body></html>")
    for size in (browser.DESKTOP, browser.PHONE):
        drawn = browser.screenshot(path, tmp_path / f"page-{size[0]}.png", size)
        empty = browser.screenshot(blank, tmp_path / f"blank-{size[0]}.png", size)
        assert png_size(drawn) == size
        # Charts, bars and text compress far worse than white: a page that failed to draw would not.
        assert drawn.stat().st_size > 10 * empty.stat().st_size


def test_no_name_from_the_demo_data_is_in_the_page(page):
    path, _, family_words = page
    text = path.read_text()
    assert family_words and not [w for w in family_words if w in text]
