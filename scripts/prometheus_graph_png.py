#!/usr/bin/env python3
"""Draws a Prometheus query_range reply (the JSON of /api/v1/query_range) as a line graph PNG
in the style of Prometheus's own graph page: one line per series, time on x, the value on y,
a legend naming each series by its labels. Used by scripts/prometheus-graph.sh.

    prometheus_graph_png.py REPLY.json OUT.png [--title TITLE]
"""
import argparse
import json
import time

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
WIDTH, HEIGHT = 1200, 560
LEFT, RIGHT, TOP, BOTTOM = 90, 30, 50, 150
COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (255, 127, 14), (148, 103, 189), (140, 86, 75)]


def nice_step(span, ticks):
    """A round step (1, 2, 5 times a power of ten) giving about `ticks` ticks over `span`."""
    raw = span / max(ticks, 1)
    power = 10 ** len(str(int(raw))) / 10 if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if power * factor >= raw:
            return power * factor
    return power * 10


def series_label(metric, constant):
    shown = {k: v for k, v in metric.items() if k not in constant}
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(shown.items())) + "}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("reply")
    parser.add_argument("out")
    parser.add_argument("--title", default="")
    args = parser.parse_args()
    with open(args.reply) as f:
        result = json.load(f)["data"]["result"]
    if not result:
        raise SystemExit("no series in the reply: nothing to draw")
    points = [[(float(t), float(v)) for t, v in s["values"]] for s in result]
    everything = [p for series in points for p in series]
    t0, t1 = min(t for t, _ in everything), max(t for t, _ in everything)
    top = max(v for _, v in everything) * 1.1 or 1.0
    # Labels every series shares are in the title, not repeated in the legend.
    keys = set.intersection(*(set(s["metric"].items()) for s in result))
    constant = {k for k, _ in keys}

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(FONT, 13)
    small = ImageFont.truetype(FONT, 12)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    x = lambda t: LEFT + (t - t0) / max(t1 - t0, 1) * plot_w
    y = lambda v: TOP + plot_h - v / top * plot_h

    draw.text((LEFT, 15), args.title, fill=(30, 30, 30), font=ImageFont.truetype(FONT, 15))
    step = nice_step(top, 6)
    value = 0.0
    while value <= top:
        draw.line([(LEFT, y(value)), (WIDTH - RIGHT, y(value))], fill=(230, 230, 230))
        draw.text((LEFT - 8, y(value)), f"{value:g} s", fill=(90, 90, 90), font=small, anchor="rm")
        value += step
    tick = nice_step(t1 - t0, 8)
    at = t0 - t0 % tick + tick
    while at <= t1:
        draw.line([(x(at), TOP), (x(at), TOP + plot_h)], fill=(230, 230, 230))
        label = time.strftime("%H:%M:%S", time.gmtime(at))
        draw.text((x(at), TOP + plot_h + 6), label, fill=(90, 90, 90), font=small, anchor="mt")
        at += tick
    draw.rectangle([LEFT, TOP, WIDTH - RIGHT, TOP + plot_h], outline=(160, 160, 160))
    draw.text((LEFT + plot_w / 2, TOP + plot_h + 24), "time (UTC)", fill=(90, 90, 90), font=small, anchor="mt")

    for i, (series, data) in enumerate(zip(result, points)):
        colour = COLOURS[i % len(COLOURS)]
        # A gap of more than two steps (no forecast then) breaks the line, as Prometheus does.
        segment = []
        for (ta, va) in data:
            if segment and ta - segment[-1][0] > 2.5:
                draw.line([(x(t), y(v)) for t, v in segment], fill=colour, width=2)
                segment = []
            segment.append((ta, va))
        if len(segment) > 1:
            draw.line([(x(t), y(v)) for t, v in segment], fill=colour, width=2)
        legend_y = TOP + plot_h + 50 + i * 20
        draw.rectangle([LEFT, legend_y + 3, LEFT + 12, legend_y + 13], fill=colour)
        name = "healthtop_eta_seconds" + series_label(series["metric"], constant - {"resource"})
        draw.text((LEFT + 20, legend_y), name, fill=(30, 30, 30), font=font)
    image.save(args.out)


if __name__ == "__main__":
    main()
