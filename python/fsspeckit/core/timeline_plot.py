"""A memory timeline (``metrics["timeline"]``) drawn with matplotlib, an optional extra.

The HTML report (``write_report``) needs nothing; this is for notebooks.
"""

from __future__ import annotations

from typing import Any

_LEVEL_COLORS = {"warning": "#fde68a", "critical": "#fdba74", "emergency": "#fca5a5"}
_EVENT_MARKERS = {"collection": ("D", "#475569"), "pool_release": ("o", "#0d9488"),
                  "chunk_halved": ("v", "#ea580c"), "chunk_doubled": ("^", "#16a34a"),
                  "emergency_recheck": ("X", "#dc2626")}


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:
        raise ImportError("plot() needs matplotlib, which fsspeckit does not install by "
                          "default: pip install 'fsspeckit[plot]' (or pip install matplotlib); "
                          "write_report(path) needs nothing") from e
    return plt


def plot_timeline(timeline: dict[str, Any], title: str = "memory over time"):
    """Pool and RSS against the budget (top) and system available memory (bottom) over
    time, phases shaded, pressure above WARNING tinted, degradation steps marked."""
    plt = _pyplot()
    samples, limits = timeline["samples"], timeline["limits"]
    t = samples["time_sec"]
    fig, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 5.5),
                                      gridspec_kw={"height_ratios": [3, 1.2]})
    palette = ["#e0e7ff", "#dcfce7", "#fae8ff", "#ffedd5", "#e0f2fe", "#fef9c3"]
    colors: dict[str, str] = {}
    for span in timeline["phases"]:
        color = colors.setdefault(span["name"], palette[len(colors) % len(palette)])
        for ax in (top, bottom):
            ax.axvspan(span["start_sec"], span["end_sec"], color=color, alpha=0.6, lw=0)
        top.text(span["start_sec"], 1.01, span["name"], transform=top.get_xaxis_transform(),
                 fontsize=8, va="bottom")
    for i, level in enumerate(samples["level"]):
        if level in _LEVEL_COLORS:
            end = t[i + 1] if i + 1 < len(t) else t[i]
            top.axvspan(t[i], end, ymin=0, ymax=0.03, color=_LEVEL_COLORS[level], lw=0)
    top.plot(t, samples["pool_mb"], color="#2563eb", lw=2, label="Arrow pool")
    rss = [(x, y) for x, y in zip(t, samples["rss_mb"]) if y is not None]
    if rss:
        top.plot(*zip(*rss), color="#9333ea", lw=1.5, label="process RSS")
    top.axhline(limits["max_pyarrow_mb"], color="#dc2626", ls="--", lw=1.2, label="pool budget")
    if limits["max_process_memory_mb"]:
        top.axhline(limits["max_process_memory_mb"], color="#9333ea", ls="--", lw=1, label="RSS budget")
    for event in timeline["events"]:
        marker, color = _EVENT_MARKERS.get(event["kind"], ("o", "black"))
        top.plot([event["time_sec"]], [0], marker=marker, color=color, clip_on=False, ls="none")
    top.set_ylabel("MiB")
    top.set_ylim(bottom=0)
    top.legend(loc="upper left", fontsize=8)
    top.set_title(title, loc="left", pad=16)
    available = [(x, y) for x, y in zip(t, samples["available_mb"]) if y is not None]
    if available:
        bottom.plot(*zip(*available), color="#059669", lw=1.5, label="system available")
    if limits["min_system_available_mb"]:
        bottom.axhline(limits["min_system_available_mb"], color="#dc2626", ls="--", lw=1,
                       label="minimum to keep")
    bottom.set_ylabel("available MiB")
    bottom.set_xlabel("seconds")
    bottom.set_ylim(bottom=0)
    bottom.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig
