#!/usr/bin/env python3
"""check_html_view.py: the HTML view of a clinical note in a real browser (Debian's chromium,
headless). Renders `openmed analyze --format html` of an ACI note, then checks, in what chromium
built and drew: one document section, one <mark> per entity of the JSON output with the same text,
a legend naming each label with its count and the model, and a screenshot in which the highlight
colour covers about as many pixels as the marks should and text is drawn. Exit 77 (skipped) when
chromium is not installed (scripts/setup-browser.sh installs it).

usage: check_html_view.py OPENMED NOTES.jsonl OUT_DIR
"""
import html.parser
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def browser(exe, *args):
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
           "--user-data-dir=" + os.path.join(OUT, "profile"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def png_pixels(path):
    """Decode an 8-bit RGB/RGBA PNG (what chromium writes): width, height, rows of (r, g, b)."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", chunk[:10])
            assert depth == 8 and colour in (2, 6), f"PNG depth {depth} colour type {colour}"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride, rows, prev = width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(width)])
        prev = line
    return width, height, rows


class Dom(html.parser.HTMLParser):
    """What the rendered DOM holds: sections, marks (text, class), legend items."""
    def __init__(self):
        super().__init__()
        self.sections, self.marks, self.legend, self.stack = 0, [], [], []
        self.mark_text = self.li_text = ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self.sections += 1
        if tag == "mark":
            self.mark_text = ""
        if tag == "li":
            self.li_text = ""
        if tag in ("mark", "li", "span", "b"):
            self.stack.append((tag, attrs.get("class", "")))

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1][0] != tag:
            return
        _, cls = self.stack.pop()
        if tag == "mark":
            self.marks.append((self.mark_text, cls))
        if tag == "li":
            self.legend.append(self.li_text)

    def handle_data(self, data):
        in_tag = [t for t, _ in self.stack]
        if "mark" in in_tag and "span" not in in_tag:
            self.mark_text += data
        if in_tag and in_tag[0] == "li":
            self.li_text += data


def main():
    global OUT
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    openmed, notes, OUT = sys.argv[1:]
    exe = chromium()
    if not exe:
        print("check_html_view: chromium not installed (scripts/setup-browser.sh); skipped")
        return 77
    os.makedirs(OUT, exist_ok=True)
    note = json.loads(open(notes, encoding="utf-8").readline())
    txt = os.path.join(OUT, "note.txt")
    open(txt, "w", encoding="utf-8").write(note["text"])
    page, png = os.path.join(OUT, "note.html"), os.path.join(OUT, "note.png")
    run = lambda *a: subprocess.run([openmed, "analyze", "--device", "cpu", "--input", txt, *a], check=True,
                                    capture_output=True, text=True).stdout
    result = json.loads(run("--format", "json"))
    run("--format", "html", "--output", page)
    entities = result["entities"]
    failures = []

    def check(ok, what):
        if not ok:
            failures.append(what)

    # What chromium built: one section, a mark per entity in order, the legend and the model.
    dom_out = browser(exe, "--dump-dom", "file://" + page)
    check(dom_out.returncode == 0, f"chromium --dump-dom failed: {dom_out.stderr[-300:]}")
    parser = Dom()
    parser.feed(dom_out.stdout)
    check(parser.sections == 1, f"{parser.sections} document sections, expected 1")
    check([m[0] for m in parser.marks] == [e["text"] for e in entities],
          f"marks {[m[0] for m in parser.marks][:5]}... differ from the entities {[e['text'] for e in entities][:5]}...")
    labels = {}
    for e in entities:
        labels[e["label"]] = labels.get(e["label"], 0) + 1
    for label, n in labels.items():
        check(f"{label}{n}" in [x.replace(" ", "") for x in parser.legend], f"legend lacks {label} {n}: {parser.legend}")
    check(result["model_name"] in dom_out.stdout, "the model's name is not on the page")
    check(len(entities) >= 10, f"only {len(entities)} entities in the note")

    # What chromium drew: highlight pixels in the first label's colour, and text.
    shot = browser(exe, "--screenshot=" + png, "--window-size=1200,4000", "file://" + page)
    check(shot.returncode == 0 and os.path.exists(png), f"chromium --screenshot failed: {shot.stderr[-300:]}")
    if os.path.exists(png):
        width, height, rows = png_pixels(png)
        colour = (0xff, 0xd6, 0xa5)  # .c0, the first label's colour
        near = lambda p, c: all(abs(a - b) <= 6 for a, b in zip(p, c))
        highlight = sum(1 for row in rows for p in row if near(p, colour))
        dark = sum(1 for row in rows for p in row if sum(p) < 200)
        # each mark is at least a few hundred pixels of colour at this size
        check(highlight >= 150 * labels.get(entities[0]["label"], 0) if entities else True,
              f"{highlight} highlight pixels for {labels} entities")
        check(dark > 20000, f"{dark} dark (text) pixels: is the text drawn?")
        print(f"check_html_view: {width}x{height} screenshot, {highlight} highlight pixels, {dark} text pixels, "
              f"{len(entities)} entities, legend {parser.legend}")
    for f in failures:
        print("check_html_view: FAILED:", f)
    print(f"check_html_view: page {page}, screenshot {png}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
