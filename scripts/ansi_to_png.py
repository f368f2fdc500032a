#!/usr/bin/env python3
"""Renders a terminal capture (`tmux capture-pane -e -p` output: text with SGR escapes) to a
PNG with DejaVu Sans Mono, so the screenshots in screenshots/ come from real runs.

    ansi_to_png.py CAPTURE.txt OUT.png [--title TITLE]

Understands the SGR codes tmux emits: reset, bold, dim, italic, underline, reverse, the 16
colours, 256-colour (38;5;n / 48;5;n) and true colour (38;2;r;g;b / 48;2;r;g;b).
"""
import argparse
import re

from PIL import Image, ImageDraw, ImageFont

FONT_DIR = "/usr/share/fonts/truetype/dejavu/"
FONT_SIZE = 15
BG = (24, 24, 27)
FG = (220, 220, 220)
# xterm's default 16 colours, slightly softened for a dark background.
PALETTE16 = [
    (40, 42, 46), (204, 66, 66), (102, 178, 80), (214, 170, 60),
    (82, 130, 200), (175, 95, 190), (70, 170, 180), (200, 200, 200),
    (110, 110, 115), (240, 100, 100), (140, 215, 110), (245, 210, 90),
    (120, 165, 240), (210, 130, 225), (110, 210, 220), (250, 250, 250),
]


def color256(n):
    if n < 16:
        return PALETTE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return (level, level, level)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.underline = self.reverse = False

    def apply(self, params):
        codes = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(codes):
            c = codes[i]
            if c == 0:
                self.reset()
            elif c == 1:
                self.bold = True
            elif c == 2:
                self.dim = True
            elif c == 4:
                self.underline = True
            elif c == 7:
                self.reverse = True
            elif c == 22:
                self.bold = self.dim = False
            elif c == 24:
                self.underline = False
            elif c == 27:
                self.reverse = False
            elif 30 <= c <= 37:
                self.fg = PALETTE16[c - 30]
            elif 90 <= c <= 97:
                self.fg = PALETTE16[c - 90 + 8]
            elif 40 <= c <= 47:
                self.bg = PALETTE16[c - 40]
            elif 100 <= c <= 107:
                self.bg = PALETTE16[c - 100 + 8]
            elif c == 39:
                self.fg = None
            elif c == 49:
                self.bg = None
            elif c in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    value = None
                if c == 38:
                    self.fg = value
                else:
                    self.bg = value
            i += 1

    def colours(self):
        fg = self.fg or FG
        bg = self.bg or BG
        if self.dim:
            fg = tuple((a + b) // 2 for a, b in zip(fg, bg))
        if self.reverse:
            fg, bg = bg, fg
        return fg, bg


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER = re.compile(r"\x1b[\[\]()][0-9;?]*[A-Za-z]?")


def cells(line, style):
    """Yields (char, fg, bg, bold, underline) per character of one captured line."""
    pos = 0
    while pos < len(line):
        m = SGR.match(line, pos)
        if m:
            style.apply(m.group(1))
            pos = m.end()
            continue
        m = OTHER.match(line, pos)
        if m and line[pos] == "\x1b":
            pos = m.end()
            continue
        fg, bg = style.colours()
        yield line[pos], fg, bg, style.bold, style.underline
        pos += 1


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("capture")
    parser.add_argument("out")
    parser.add_argument("--columns", type=int, default=160)
    args = parser.parse_args()
    regular = ImageFont.truetype(FONT_DIR + "DejaVuSansMono.ttf", FONT_SIZE)
    bold = ImageFont.truetype(FONT_DIR + "DejaVuSansMono-Bold.ttf", FONT_SIZE)
    left, top, right, bottom = regular.getbbox("M")
    cell_w = round(regular.getlength("M"))
    ascent, descent = regular.getmetrics()
    cell_h = ascent + descent + 2
    with open(args.capture, encoding="utf-8", errors="replace") as f:
        lines = f.read().rstrip("\n").split("\n")
    pad = 12
    image = Image.new("RGB", (args.columns * cell_w + 2 * pad, len(lines) * cell_h + 2 * pad), BG)
    draw = ImageDraw.Draw(image)
    style = Style()
    for row, line in enumerate(lines):
        y = pad + row * cell_h
        for col, (ch, fg, bg, is_bold, underline) in enumerate(cells(line, style)):
            x = pad + col * cell_w
            if bg != BG:
                draw.rectangle([x, y, x + cell_w - 1, y + cell_h - 1], fill=bg)
            if ch in "█▇▆▅▄▃▂▁":
                # Block elements: draw them exactly so sparklines have no gaps.
                eighths = "▁▂▃▄▅▆▇█".index(ch) + 1
                height = cell_h * eighths // 8
                draw.rectangle([x, y + cell_h - height, x + cell_w - 1, y + cell_h - 1], fill=fg)
            elif ch != " ":
                draw.text((x, y + 1), ch, font=bold if is_bold else regular, fill=fg)
            if underline:
                draw.line([x, y + cell_h - 2, x + cell_w - 1, y + cell_h - 2], fill=fg)
    image.save(args.out, optimize=True)


if __name__ == "__main__":
    main()
