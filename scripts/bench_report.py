#!/usr/bin/env python3
"""Turns the JSON lines of scripts/bench.sh into the markdown tables and the SVG chart of
docs/benchmarks.md (issue 7). Standard library only.

    bench_report.py report RESULTS.tsv SCALE.tsv META.env OUT.md OUT.svg
        writes OUT.md (tables, chart link, scale figures) and OUT.svg; prints the tables.
    bench_report.py spread ROUNDS.tsv
        exit 1 when a client's main figure varies by more than 25 % across the rounds
        (bench.sh then runs the rounds again), 0 otherwise.

RESULTS.tsv lines: pin <TAB> round <TAB> JSON line of bench_client / raw_client.
SCALE.tsv lines:   label <TAB> JSON line of the scale binary.
META.env lines:    KEY=VALUE (machine, parameters, notices).
"""

import json
import math
import os
import statistics
import sys
from collections import defaultdict

RAW = "raw-tungstenite"
OURS = "named-websocket"
PINS = [
    ("unpinned", "unpinned"),
    ("same", "pinned, same CPU"),
    ("split", "pinned, different CPUs"),
]
# "down" runs at three message sizes, each a row of its own: "down 64 B", "down 1 KiB", ...
DOWN_SIZES = [64, 1024, 16384]


def size_label(size):
    if size >= 1 << 20 and size % (1 << 20) == 0:
        return f"{size >> 20} MiB"
    return f"{size // 1024} KiB" if size >= 1024 and size % 1024 == 0 else f"{size} B"


def workload_key(record):
    """The row a record belongs to: its workload, and for "down" and "bulk" its message size
    too."""
    if record["workload"] in ("down", "bulk"):
        return f"{record['workload']} {size_label(record['size'])}"
    return record["workload"]


DOWNS = [f"down {size_label(size)}" for size in DOWN_SIZES]
# "bulk" too: 64 KiB (issue 7) and 1 MiB (issue 24).
BULK_SIZES = [65536, 1 << 20]
BULKS = [f"bulk {size_label(size)}" for size in BULK_SIZES]
WORKLOADS = ["pingpong", "stream", *BULKS, *DOWNS, "connect", "connect wss"]
# (workload, metric, label, higher is better)
METRICS = [
    ("pingpong", "msgs_s", "round trips/s", True),
    ("pingpong", "p50_us", "p50 latency µs", False),
    ("pingpong", "p99_us", "p99 latency µs", False),
    ("stream", "msgs_s", "messages/s", True),
    *[(bulk, "mb_s", "MB/s one way", True) for bulk in BULKS],
    ("down 64 B", "msgs_s", "messages/s", True),
    ("down 1 KiB", "msgs_s", "messages/s", True),
    ("down 16 KiB", "msgs_s", "messages/s", True),
    ("connect", "conns_s", "connections/s", True),
    ("connect", "p50_us", "p50 connect + close µs", False),
    ("connect wss", "conns_s", "connections/s", True),
    ("connect wss", "p50_us", "p50 connect + close µs", False),
]
MAIN_METRIC = {"pingpong": "msgs_s", "stream": "msgs_s",
               "connect": "conns_s", "connect wss": "conns_s"}
MAIN_METRIC.update({down: "msgs_s" for down in DOWNS})
MAIN_METRIC.update({bulk: "mb_s" for bulk in BULKS})
# Targets of issue 7: (workload, metric, mode) -> (">=" or "<=", ratio ours / raw)
TARGETS = {
    ("pingpong", "msgs_s", "sync"): (">=", 0.9),
    ("stream", "msgs_s", "sync"): (">=", 0.9),
    ("bulk 64 KiB", "mb_s", "sync"): (">=", 0.9),
    ("down 64 B", "msgs_s", "sync"): (">=", 0.9),
    ("connect", "conns_s", "sync"): (">=", 0.9),
    # Issue 24: asynchronous connects, and TLS connects against one reused raw connector.
    ("connect", "conns_s", "async"): (">=", 0.8),
    ("bulk 1 MiB", "mb_s", "sync"): (">=", 0.9),
    ("bulk 1 MiB", "mb_s", "async"): (">=", 0.9),
    ("connect wss", "conns_s", "sync"): (">=", 0.8),
    ("connect wss", "conns_s", "async"): (">=", 0.8),
    ("pingpong", "p50_us", "async"): ("<=", 1.5),
    # Issue 12: asynchronous downstream at least 0.7x raw at every message size.
    **{(down, "msgs_s", "async"): (">=", 0.7) for down in DOWNS},
}
NOISY = 0.25  # max/min - 1 across rounds above which a figure counts as disturbed


def read_tsv(path, fields):
    rows = []
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                parts = line.split("\t", fields - 1)
                rows.append(parts[:-1] + [json.loads(parts[-1])])
    except FileNotFoundError:
        pass
    return rows


def read_meta(path):
    meta = {}
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                if "=" in line:
                    key, value = line.rstrip("\n").split("=", 1)
                    meta[key] = value
    except FileNotFoundError:
        pass
    return meta


def spread(values):
    values = [v for v in values if v]
    if len(values) < 2:
        return 0.0
    return max(values) / min(values) - 1


def group(results):
    """(pin, workload, client, mode) -> {metric: [values]}, plus the size of each workload."""
    groups = defaultdict(lambda: defaultdict(list))
    sizes = {}
    for pin, _round, record in results:
        key = (pin, workload_key(record), record["client"], record.get("mode", "sync"))
        sizes[workload_key(record)] = (record["n"], record["size"])
        for metric in ("msgs_s", "mb_s", "conns_s", "p50_us", "p99_us"):
            if record.get(metric) is not None:
                groups[key][metric].append(record[metric])
    return groups, sizes


def fmt(value):
    if value is None:
        return "—"
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def verdict(target, ratio):
    if target is None or ratio is None:
        return ""
    op, bound = target
    ok = ratio >= bound if op == ">=" else ratio <= bound
    return "✅" if ok else "❌ missed"


def ratio_text(ratio, target):
    """Two decimals, or three where two would round across the target's bound."""
    text = f"{ratio:.2f}×"
    if target is not None:
        op, bound = target
        ok = ratio >= bound if op == ">=" else ratio <= bound
        shown = round(ratio, 2)
        if ok != (shown >= bound if op == ">=" else shown <= bound):
            # Three decimals, cut toward the truth: 0.8999 is 0.899, not 0.900.
            cut = math.floor(ratio * 1000) if op == ">=" else math.ceil(ratio * 1000)
            text = f"{cut / 1000:.3f}×"
    return text


def target_text(target):
    if target is None:
        return "—"
    op, bound = target
    return f"{'≥' if op == '>=' else '≤'} {bound}×"


def compute(results):
    groups, sizes = group(results)
    pins = [p for p, _ in PINS if any(k[0] == p for k in groups)]
    modes = sorted({k[3] for k in groups if k[2] == OURS}, key=lambda m: (m != "sync", m))
    rows = []  # one per (workload, metric, mode)
    for workload, metric, label, higher in METRICS:
        for mode in modes:
            row = {"workload": workload, "metric": metric, "label": label, "mode": mode,
                   "higher": higher, "target": TARGETS.get((workload, metric, mode)),
                   "pins": {}}
            for pin in pins:
                raw = groups.get((pin, workload, RAW, "sync"), {}).get(metric, [])
                ours = groups.get((pin, workload, OURS, mode), {}).get(metric, [])
                if not raw or not ours:
                    continue
                raw_m, ours_m = statistics.median(raw), statistics.median(ours)
                row["pins"][pin] = {
                    "raw": raw_m, "ours": ours_m,
                    "ratio": ours_m / raw_m if raw_m else None,
                    "noisy": max(spread(raw), spread(ours)) > NOISY,
                    "rounds": min(len(raw), len(ours)),
                }
            if row["pins"]:
                rows.append(row)
    return rows, pins, sizes


def markdown_tables(rows, pins, sizes):
    pin_label = dict(PINS)
    out = []
    out.append("### Ratios ours / raw tungstenite (median of the rounds)\n")
    head = "| workload | metric | mode | target |" + "".join(f" {pin_label[p]} |" for p in pins)
    out.append(head)
    out.append("|---|---|---|---|" + "---|" * len(pins))
    for row in rows:
        n, size = sizes.get(row["workload"], (0, 0))
        cells = []
        for pin in pins:
            cell = row["pins"].get(pin)
            if cell is None or cell["ratio"] is None:
                cells.append("—")
                continue
            mark = verdict(row["target"], cell["ratio"])
            noisy = " (noisy)" if cell["noisy"] else ""
            cells.append(f"{ratio_text(cell['ratio'], row['target'])} {mark}{noisy}".strip())
        lower = "" if row["higher"] else " (lower is better)"
        out.append(f"| {row['workload']} ({size} B × {n:,}) | {row['label']}{lower} | "
                   f"{row['mode']} | {target_text(row['target'])} | " + " | ".join(cells) + " |")
    for pin in pins:
        out.append(f"\n### Figures, {pin_label[pin]}\n")
        out.append("| workload | metric | mode | raw tungstenite | named-websocket | ours / raw |")
        out.append("|---|---|---|---|---|---|")
        for row in rows:
            cell = row["pins"].get(pin)
            if cell is None:
                continue
            ratio = "—" if cell["ratio"] is None else ratio_text(cell["ratio"], row["target"])
            out.append(f"| {row['workload']} | {row['label']} | {row['mode']} | "
                       f"{fmt(cell['raw'])} | {fmt(cell['ours'])} | {ratio} |")
    return "\n".join(out)


def svg_chart(rows, pins):
    """Grouped bars: one group per (workload, metric, mode), one bar per pinning."""
    pin_label = dict(PINS)
    colors = {"unpinned": "#4e79a7", "same": "#f28e2b", "split": "#59a14f"}
    groups = [r for r in rows if r["metric"] != "p99_us"]
    ratios = [c["ratio"] for r in groups for c in r["pins"].values() if c["ratio"]]
    top = max([1.6] + [r * 1.1 for r in ratios])
    top = min(top, 4.0)
    width_group, bar, left, plot_h, top_pad = 100, 24, 60, 300, 50
    width = max(left + width_group * len(groups) + 20, 640)
    height = top_pad + plot_h + 90
    def y(v):
        return top_pad + plot_h - min(v, top) / top * plot_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{left}" y="18" font-size="14" font-weight="bold">named-websocket / raw '
             f'tungstenite, median of the rounds</text>',
             f'<text x="{left}" y="33" fill="#555">1.0 = as fast as raw; rates: higher is '
             f'better; latency (p50): lower is better</text>']
    step = 0.25 if top <= 2 else 0.5
    v = 0.0
    while v <= top + 1e-9:
        parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(v):.1f}" y2="{y(v):.1f}" '
                     f'stroke="#ddd"/>')
        parts.append(f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:.2f}</text>')
        v += step
    parts.append(f'<line x1="{left}" x2="{width - 20}" y1="{y(1):.1f}" y2="{y(1):.1f}" '
                 f'stroke="#333" stroke-width="1.5"/>')
    for i, row in enumerate(groups):
        x0 = left + i * width_group + 10
        for j, pin in enumerate(pins):
            cell = row["pins"].get(pin)
            if not cell or not cell["ratio"]:
                continue
            x = x0 + j * bar
            h = y(0) - y(cell["ratio"])
            parts.append(f'<rect x="{x}" y="{y(cell["ratio"]):.1f}" width="{bar - 3}" '
                         f'height="{h:.1f}" fill="{colors[pin]}"><title>{row["workload"]} '
                         f'{row["label"]} {row["mode"]} {pin_label[pin]}: '
                         f'{cell["ratio"]:.2f}×</title></rect>')
            parts.append(f'<text x="{x + (bar - 3) / 2:.1f}" y="{y(cell["ratio"]) - 3:.1f}" '
                         f'text-anchor="middle" font-size="9">{cell["ratio"]:.2f}</text>')
        if row["target"]:
            _, bound = row["target"]
            parts.append(f'<line x1="{x0 - 4}" x2="{x0 + bar * len(pins) + 1}" '
                         f'y1="{y(bound):.1f}" y2="{y(bound):.1f}" stroke="#c00" '
                         f'stroke-width="2" stroke-dasharray="5,3"/>')
        label = {"msgs_s": "", "mb_s": "", "conns_s": "", "p50_us": " p50"}[row["metric"]]
        cx = x0 + bar * len(pins) / 2
        parts.append(f'<text x="{cx:.1f}" y="{y(0) + 16:.1f}" text-anchor="middle">'
                     f'{row["workload"]}{label}</text>')
        parts.append(f'<text x="{cx:.1f}" y="{y(0) + 30:.1f}" text-anchor="middle" '
                     f'fill="#666">{row["mode"]}</text>')
    lx = left
    ly = height - 22
    for pin in pins:
        parts.append(f'<rect x="{lx}" y="{ly - 10}" width="12" height="12" '
                     f'fill="{colors[pin]}"/>')
        parts.append(f'<text x="{lx + 16}" y="{ly}">{pin_label[pin]}</text>')
        lx += 170
    parts.append(f'<line x1="{lx}" x2="{lx + 24}" y1="{ly - 4}" y2="{ly - 4}" stroke="#c00" '
                 f'stroke-width="2" stroke-dasharray="5,3"/>')
    parts.append(f'<text x="{lx + 30}" y="{ly}">target</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def scale_section(scale, meta):
    out = ["## Scale\n"]
    if meta.get("SCALE_NOTICE"):
        out.append(f"> **Notice:** {meta['SCALE_NOTICE']}\n")
    if meta.get("SCALE_LIMITS"):
        out.append(f"Limits: {meta['SCALE_LIMITS']}\n")
    if not scale:
        out.append("Not run.")
        return "\n".join(out)
    out.append("| client | sockets | RSS before | after connect | per socket | after one message "
               "each | per socket | threads | fds per socket | after close | heap in use after "
               "close | after `malloc_trim` | threads, fds after close | connect | exchange | "
               "close |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for _label, r in scale:
        closed = "–"
        threads_closed = "–"
        heap_closed = "–"
        trimmed = "–"
        if "rss_closed_kib" in r:
            closed = f"{r['rss_closed_kib'] / 1024:.1f} MiB"
            threads_closed = (f"{r['threads_closed']} / {r['fds_closed']} "
                              f"(before: {r['threads_base']} / {r['fds_base']})")
        if "heap_closed_kib" in r:
            heap_closed = (f"{r['heap_closed_kib']:,} KiB (before: "
                           f"{r['heap_base_kib']:,} KiB)")
        if "rss_trimmed_kib" in r:
            trimmed = f"{r['rss_trimmed_kib'] / 1024:.1f} MiB"
        out.append(
            f"| {r['client']} | {r['sockets']:,} | {r['rss_base_kib'] / 1024:.1f} MiB | "
            f"{r['rss_open_kib'] / 1024:.1f} MiB | "
            f"{r['bytes_per_socket_open'] / 1024:.1f} KiB | "
            f"{r['rss_exchanged_kib'] / 1024:.1f} MiB | "
            f"{r['bytes_per_socket_exchanged'] / 1024:.1f} KiB | {r['threads_exchanged']} | "
            f"{r['fds_per_socket']:.2f} | {closed} | {heap_closed} | {trimmed} | "
            f"{threads_closed} | "
            f"{r['connect_secs']:.2f} s | {r['exchange_secs']:.2f} s | {r['close_secs']:.2f} s |")
    for _label, r in scale:
        if r["client"] != OURS + " async" or "rss_closed_kib" not in r:
            continue
        per = r["bytes_per_socket_exchanged"] / 1024
        back = (r["rss_closed_kib"] - r["rss_base_kib"]) / 1024
        line = (f"\nTarget (issue 24): an asynchronous socket ≤ 32 KiB, thread included; "
                f"measured {per:.1f} KiB: {'✅' if per <= 32 else '❌ missed'}. Memory after "
                f"every socket closed within 20 MiB of the start; measured {back:+.1f} MiB of "
                f"resident memory: {'✅' if back <= 20 else '❌ missed'}")
        if "heap_closed_kib" in r:
            held = r["heap_closed_kib"] - r["heap_base_kib"]
            line += (f", of which {held:+,} KiB still allocated (the heap in use); the rest is "
                     f"free memory that glibc keeps in its heaps")
            if "rss_trimmed_kib" in r:
                trimmed_back = (r["rss_trimmed_kib"] - r["rss_base_kib"]) / 1024
                line += f" ({trimmed_back:+.1f} MiB after `malloc_trim`)"
        out.append(line + ".")
    for _label, r in scale:
        if r["client"] != OURS:
            continue
        per = r["bytes_per_socket_exchanged"]
        at_10k = (r["rss_base_kib"] * 1024 + per * 10000) / 2**20
        verdict_text = "✅" if at_10k < 256 else "❌ missed"
        out.append(f"\nTarget: 10,000 named sockets under 256 MiB RSS. Measured "
                   f"{r['rss_exchanged_kib'] / 1024:.1f} MiB for {r['sockets']:,} sockets after "
                   f"the exchange, {at_10k:.1f} MiB at 10,000 by the per-socket figure: "
                   f"{verdict_text}. Threads: {r['threads_exchanged']} (the blocking API "
                   f"starts none).")
    return "\n".join(out)


def compressed_section(compressed):
    """The compressed JSON stream: the median of each client's rounds."""
    out = ["## Compressed JSON stream\n"]
    if not compressed:
        out.append("Not run.")
        return "\n".join(out)
    by_label = defaultdict(list)
    for label, _round, record in compressed:
        by_label[label].append(record)
    first = compressed[0][2]
    out.append(f"{first['n']:,} JSON texts of ticker objects (1–4 KiB, the same texts for every "
               "client) sent to one Node `ws` sink that accepts permessage-deflate "
               "(`bench/node/json_sink.js`), then `END` and its answer; the median of the "
               "rounds. The sink inflates in Node's zlib, which bounds the compressed rates. "
               "Bytes on the wire: what the client wrote to the socket per message (frame "
               "headers and mask included).\n")
    out.append("| client | messages/s | payload B/msg | wire B/msg | wire / payload |")
    out.append("|---|---|---|---|---|")
    for label, records in by_label.items():
        rate = statistics.median(r["msgs_s"] for r in records)
        payload = statistics.median(r["payload_b"] for r in records)
        wire = statistics.median(r["wire_b"] for r in records)
        out.append(f"| {label} | {fmt(rate)} | {payload:,.0f} | {wire:,.0f} | "
                   f"{wire / payload:.1%} |")
    return "\n".join(out)


def desktop_section(desktop):
    """The mixed desktop workload: the median of each client's rounds."""
    out = ["## Mixed desktop workload\n"]
    if not desktop:
        out.append("Not run.")
        return "\n".join(out)
    by_client = defaultdict(list)
    for _label, _round, record in desktop:
        by_client[record["client"]].append(record)
    first = desktop[0][2]
    out.append(f"{first['sockets']} sockets, each receiving a {first['size']:,}-byte JSON text "
               f"every {first['interval_ms']} ms from `bench_server`'s `/ticker`, while the "
               f"application's thread runs {first['frame_ms']} ms frames and takes the events "
               "at the start of each (ours: asynchronous sockets and `dispatch_pending`; raw: "
               "a thread per raw tungstenite socket and a channel, drained each frame). "
               "Latency: from the server's send to the frame that takes the message, so half "
               "a frame on average by design. CPU: the client process, user + system, in % of "
               "one CPU. The median of the rounds; the first second of each is not measured.\n")
    out.append("| client | messages/s | latency p50 | p99 | max | CPU |")
    out.append("|---|---|---|---|---|---|")
    for client, records in by_client.items():
        med = lambda key: statistics.median(r[key] for r in records)
        rate = statistics.median(r["messages"] / r["secs"] for r in records)
        out.append(f"| {client} | {fmt(rate)} | {med('p50_ms'):.1f} ms | "
                   f"{med('p99_ms'):.1f} ms | {med('max_ms'):.1f} ms | "
                   f"{med('cpu_percent'):.0f}% |")
    return "\n".join(out)


def report(results_path, scale_path, meta_path, md_path, svg_path):
    results = read_tsv(results_path, 3)
    compressed_path = os.path.join(os.path.dirname(results_path), "compressed.tsv")
    compressed = read_tsv(compressed_path, 3)
    desktop = read_tsv(os.path.join(os.path.dirname(results_path), "desktop.tsv"), 3)
    scale = read_tsv(scale_path, 2)
    meta = read_meta(meta_path)
    rows, pins, sizes = compute(results)
    tables = markdown_tables(rows, pins, sizes)
    with open(svg_path, "w", encoding="utf-8") as f:
        f.write(svg_chart(rows, pins))
    svg_name = svg_path.rsplit("/", 1)[-1]
    md = [
        "# Benchmarks",
        "",
        "<!-- Generated by scripts/bench.sh: do not edit by hand, run it again. -->",
        "",
        "named-websocket against the same client written directly on tungstenite (issue 7), "
        "both talking to one loopback server (`bench_server`: raw tungstenite, a thread per "
        "connection). Raw and ours run interleaved (raw, ours, raw, ours, …); each figure is "
        f"the median of {meta.get('ROUNDS', '3')} rounds. A ratio is ours / raw: above 1 is "
        "faster for rates, slower for latencies. \"(noisy)\" marks a figure whose rounds "
        f"differ by more than {NOISY:.0%} even after a rerun.",
        "",
        f"- Machine: {meta.get('MACHINE', '?')}",
        f"- Toolchain: {meta.get('RUSTC', '?')}; commit {meta.get('COMMIT', '?')}",
        f"- Run: {meta.get('DATE', '?')}, load average before the run {meta.get('LOAD', '?')}",
        f"- Async mode: {meta.get('ASYNC', '?')}",
        "- Pinning (taskset): *same CPU* puts server and client on CPU 0; *different CPUs* puts "
        "the server on CPU 0 and the client on CPU 1; *unpinned* lets the scheduler choose, "
        "which on 2 vCPUs makes ping-pong latency swing several times over.",
        "",
        "Reproduce with `scripts/bench.sh` (about ten minutes; `--quick` for a smoke run). "
        "Where the time goes, what was tried and what is left: [performance.md](performance.md).",
        "",
        f"![ratios ours / raw]({svg_name})",
        "",
        tables,
        "",
        scale_section(scale, meta),
        "",
        compressed_section(compressed),
        "",
        desktop_section(desktop),
        "",
        "## Workloads",
        "",
        "| workload | what | reported |",
        "|---|---|---|",
        "| pingpong | send a SIZE-byte text, wait for its echo, N times | round trips/s, p50, "
        "p99 |",
        "| stream | send N SIZE-byte texts, then `END`; wait for `done:N` | messages/s |",
        "| bulk | N round trips of a SIZE-byte binary message | MB/s one way |",
        "| down | the server sends N SIZE-byte binary messages, then closes | messages/s |",
        "| connect | N sequential connects, each with a clean close | connections/s, p50 |",
        "| connect wss | the same over TLS (`bench_server --tls`, a self-signed certificate the "
        "clients trust); raw tungstenite builds one native-tls connector for the run | "
        "connections/s, p50 |",
        "",
        "Pingpong and bulk first do N/10 (at most 1000) round trips that are not measured. "
        "The JSON lines of every run are in `target/bench/results.tsv`.",
        "",
    ]
    with open(md_path, "w", encoding="utf-8") as f:
        f.write("\n".join(md))
    print(tables)
    print()
    print(scale_section(scale, meta))
    print()
    print(compressed_section(compressed))
    print()
    print(desktop_section(desktop))


def check_spread(rounds_path):
    results = read_tsv(rounds_path, 3)
    by_client = defaultdict(list)
    for _pin, _round, record in results:
        metric = MAIN_METRIC[workload_key(record)]
        if record.get(metric):
            by_client[(record["client"], record.get("mode"))].append(record[metric])
    worst = max((spread(v) for v in by_client.values()), default=0.0)
    if worst > NOISY:
        print(f"rounds differ by {worst:.0%}", file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) == 7 and argv[1] == "report":
        report(*argv[2:])
        return 0
    if len(argv) == 3 and argv[1] == "spread":
        return check_spread(argv[2])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
