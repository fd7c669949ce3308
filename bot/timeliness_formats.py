"""The timeliness view written out: a table for the terminal, CSV for a spreadsheet, and one
self-contained HTML page (charts drawn by matplotlib as inline SVG, no script, nothing
fetched when it is viewed), readable on a phone and printable."""
from __future__ import annotations

import csv as csv_module
import html as html_module
import io
from typing import Optional

from bot.render import day
from bot.timeliness import Report, Tally

COLUMNS = ("due", "on time", "late", "overdue now", "undone at closure", "on time %", "median days (allowed)")


def _share(t: Tally) -> str:
    return "-" if t.on_time_share is None else f"{100 * t.on_time_share:.0f}%"


def _days(t: Tally) -> str:
    taken = "-" if t.median_days is None else f"{t.median_days:g}"
    allowed = "-" if t.median_allowed is None else f"{t.median_allowed:g}"
    return f"{taken} ({allowed})"


def _cells(t: Tally) -> list[str]:
    return [str(t.due), str(t.on_time), str(t.late), str(t.overdue), str(t.undone), _share(t), _days(t)]


def heading(r: Report) -> str:
    where = f"team {r.team}" if r.team else "all teams"
    return (f"Timeliness, {where}: timescales falling due {day(r.start)} to {day(r.end)} "
            f"({r.cases} cases; as of {day(r.today)})")


def _grid(header: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def table(r: Report) -> str:
    out = [heading(r), ""]
    if not r.rules:
        out.append("No timescale fell due in this period.")
        return "\n".join(out)
    out += _grid(["rule", "timescale", *COLUMNS, "source"],
                 [[row.title[:60], row.timescale, *_cells(row.tally), row.citation] for row in r.rules])
    out += ["", "By worker"] + _grid(["worker", *COLUMNS], [[w, *_cells(t)] for w, t in r.by_worker.items()])
    out += ["", "By month due"] + _grid(["month", *COLUMNS], [[m, *_cells(t)] for m, t in r.by_month.items()])
    if r.overdue:
        out += ["", "Overdue now (cases you may see)"]
        out += [f"  {ref}: {title[:70]}, due {day(due)}" for ref, title, due in r.overdue]
    return "\n".join(out)


def csv(r: Report) -> str:
    buffer = io.StringIO()
    writer = csv_module.writer(buffer)
    writer.writerow(["group", "key", "rule_id", "timescale", "source", "due", "on_time", "late", "overdue_now",
                     "undone_at_closure", "on_time_share", "median_days_taken", "median_days_allowed"])

    def numbers(t: Tally) -> list:
        share = "" if t.on_time_share is None else f"{t.on_time_share:.3f}"
        return [t.due, t.on_time, t.late, t.overdue, t.undone, share,
                "" if t.median_days is None else t.median_days, "" if t.median_allowed is None else t.median_allowed]

    for row in r.rules:
        writer.writerow(["rule", row.title, row.rule_id, row.timescale, row.citation, *numbers(row.tally)])
    for worker, t in r.by_worker.items():
        writer.writerow(["worker", worker, "", "", "", *numbers(t)])
    for month, t in r.by_month.items():
        writer.writerow(["month", month, "", "", "", *numbers(t)])
    return buffer.getvalue()


# ---- the page ------------------------------------------------------------------------------

def _svg(figure) -> str:
    buffer = io.StringIO()
    # No creation date in the page: the same figures draw the same page.
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _trend_chart(r: Report) -> Optional[str]:
    months = [m for m, t in r.by_month.items() if t.due]
    if not months:
        return None
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    shares = [100 * r.by_month[m].on_time_share for m in months]
    counts = [r.by_month[m].due for m in months]
    fig, ax = plt.subplots(figsize=(7, 3.2))
    ax.bar(months, counts, color="#c9d6e8", label="fell due")
    ax.set_ylabel("timescales due")
    share_axis = ax.twinx()
    share_axis.plot(months, shares, color="#1f4e79", marker="o", label="on time %")
    share_axis.set_ylim(0, 105)
    share_axis.set_ylabel("on time %")
    ax.set_title("Timescales met on time, by month due")
    fig.legend(loc="lower left", fontsize=8, frameon=False)
    svg = _svg(fig)
    plt.close(fig)
    return svg


def _rules_chart(r: Report) -> Optional[str]:
    rows = [row for row in r.rules if row.tally.due]
    if not rows:
        return None
    import matplotlib
    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    labels = [f"{row.title[:48]}{'…' if len(row.title) > 48 else ''} ({row.timescale})" for row in rows]
    shares = [100 * row.tally.on_time_share for row in rows]
    fig, ax = plt.subplots(figsize=(7, 0.38 * len(rows) + 1.2))
    colours = ["#2e7d32" if s >= 90 else "#f9a825" if s >= 70 else "#c62828" for s in shares]
    ax.barh(labels, shares, color=colours)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("on time %")
    ax.tick_params(axis="y", labelsize=7)
    ax.set_title("Share met on time, each against its own timescale")
    svg = _svg(fig)
    plt.close(fig)
    return svg


_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0 auto;max-width:60rem;padding:1rem;color:#1a1a1a}
h1{font-size:1.3rem}h2{font-size:1.1rem;margin-top:1.6rem}
.chart svg{max-width:100%;height:auto}
.scroll{overflow-x:auto}
table{border-collapse:collapse;font-size:.85rem;width:100%}
th,td{border-bottom:1px solid #ddd;padding:.3rem .4rem;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}
.note{color:#555;font-size:.85rem}
@media print{body{max-width:none}.chart{page-break-inside:avoid}}
"""


def _html_table(header: list[str], rows: list[list[str]], numeric: range) -> str:
    """``numeric``: the columns of figures, right-aligned."""
    esc = html_module.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td{' class=n' if i in numeric else ''}>{esc(str(c))}</td>" for i, c in enumerate(row))
        + "</tr>" for row in rows)
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'


def html(r: Report) -> str:
    esc = html_module.escape
    parts = [f"<h1>{esc(heading(r))}</h1>",
             '<p class="note">Each row is one timescale the guidance sets, counted over the cases in the period '
             "that the reader may see; the source is the document and section it comes from. "
             "Median days are calendar days from the clock's start to the step, with the days allowed in brackets.</p>"]
    for title, chart in (("Trend", _trend_chart(r)), ("Each timescale", _rules_chart(r))):
        if chart:
            parts.append(f'<h2>{title}</h2><div class="chart" role="img" aria-label="{title} chart">{chart}</div>')
    if r.rules:
        parts.append("<h2>By rule</h2>" + _html_table(
            ["rule", "timescale", *COLUMNS, "source"],
            [[row.title, row.timescale, *_cells(row.tally), row.citation] for row in r.rules],
            range(2, 2 + len(COLUMNS))))
        parts.append("<h2>By worker</h2>" + _html_table(["worker", *COLUMNS],
                                                        [[w, *_cells(t)] for w, t in r.by_worker.items()],
                                                        range(1, 1 + len(COLUMNS))))
        parts.append("<h2>By month due</h2>" + _html_table(["month", *COLUMNS],
                                                           [[m, *_cells(t)] for m, t in r.by_month.items()],
                                                           range(1, 1 + len(COLUMNS))))
    else:
        parts.append("<p>No timescale fell due in this period.</p>")
    if r.overdue:
        parts.append("<h2>Overdue now</h2>" + _html_table(
            ["case", "step", "due"], [[ref, title, day(due)] for ref, title, due in r.overdue], range(2, 3)))
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            '<meta name=viewport content="width=device-width, initial-scale=1">'
            f"<title>{esc(heading(r))}</title><style>{_STYLE}</style></head><body>"
            + "".join(parts) + "</body></html>")
