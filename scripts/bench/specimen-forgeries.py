#!/usr/bin/python3
"""Forgeries of the machine-readable zone of published specimen documents
(PassportEye's government specimens: other designs, printers, resolutions
and compressions than the MIDV-2020 template forgery-cases.py alters),
written in the layout of the benchdata's `midv2020-sidtd/alb_id/cases.json`
so that pipeline-documents.ts scores them as it scores the SIDTD cases.

The MRZ is where a forger who alters a date or a number must alter it too,
and, printed on a fixed grid, it tells where every character stands without
field annotations. Input: a JSON list of specimens, each with its `file`
(in --specimens), MRZ `format`, `lines` and `quad` (corners of the text as
read by our MRZ reader: top-left, top-right, bottom-right, bottom-left).
Per specimen:

- copy-*:    one digit of the birth date, expiry date or document number
             replaced by another digit of the same MRZ, on a background mended
             by inpainting and in the cell's place on the grid (the careful
             forger: same typeface, same printer);
- rewrite-*: the document number inpainted and typed again in another
             typeface with one character changed (the crude forger).

Which field, character and donor is drawn from the seed. Every forgery is
saved as JPEG at quality 90. The field-quad mask is the altered characters'
cells; the pixel-diff mask follows the benchdata README (|questioned -
reference|, max over RGB, 5x5 Gaussian, > 40 near the cells, closed 7x7).
Each specimen is also written back unaltered as JPEG at quality 90
(`reencoded`): a genuine questioned image that must show no difference.

    /usr/bin/python3 scripts/bench/specimen-forgeries.py GEOMETRY.json OUTDIR [SEED] [--specimens DIR]
"""
import argparse, json, os
try:
    import numpy as np, cv2
except ImportError as e:
    raise SystemExit(f'specimen-forgeries: needs NumPy and OpenCV for Python ({e}); on Debian: apt-get install python3-opencv')

ap = argparse.ArgumentParser()
ap.add_argument('geometry')
ap.add_argument('out')
ap.add_argument('seed', nargs='?', type=int, default=1)
ap.add_argument('--specimens', default=os.path.join(os.path.dirname(__file__), '../../../shared/benchdata/passporteye-specimens'))
args = ap.parse_args()
rng = np.random.default_rng(args.seed)
os.makedirs(os.path.join(args.out, 'masks'), exist_ok=True)

# (line, first column, length) of the fields a forger alters, 0-based, per format (ICAO 9303).
FIELDS = {
    'TD1': {'document_number': (0, 5, 9), 'birth_date': (1, 0, 6), 'expiry_date': (1, 8, 6)},
    'TD2': {'document_number': (1, 0, 9), 'birth_date': (1, 13, 6), 'expiry_date': (1, 21, 6)},
    'TD3': {'document_number': (1, 0, 9), 'birth_date': (1, 13, 6), 'expiry_date': (1, 21, 6)},
    'MRVA': {'document_number': (1, 0, 9), 'birth_date': (1, 13, 6), 'expiry_date': (1, 21, 6)},
    'MRVB': {'document_number': (1, 0, 9), 'birth_date': (1, 13, 6), 'expiry_date': (1, 21, 6)},
}


class Mrz:
    """The character cells of an MRZ from the corners of its text."""

    def __init__(self, spec):
        self.lines = spec['lines']
        self.rows = len(self.lines)
        self.cols = len(self.lines[0])
        self.quad = np.array(spec['quad'], np.float64)

    def at(self, u, v):
        """Bilinear point of the quad at (u, v) in [0, 1]²."""
        tl, tr, br, bl = self.quad
        return (1 - v) * ((1 - u) * tl + u * tr) + v * ((1 - u) * bl + u * br)

    def cell(self, line, col):
        """Corners of the cell of (line, col), clockwise from top-left."""
        u0, u1 = col / self.cols, (col + 1) / self.cols
        v0, v1 = line / self.rows, (line + 1) / self.rows
        return np.array([self.at(u0, v0), self.at(u1, v0), self.at(u1, v1), self.at(u0, v1)])

    def box(self, line, col, pad=0.0):
        """Integer bounding box (x, y, w, h) of a cell, grown by `pad` cell heights up and down (not sideways, into its neighbours)."""
        c = self.cell(line, col)
        grow = np.array([0, pad * np.linalg.norm(c[3] - c[0])])
        x0, y0 = np.floor(c.min(axis=0) - grow).astype(int)
        x1, y1 = np.ceil(c.max(axis=0) + grow).astype(int)
        return int(x0), int(y0), int(x1 - x0), int(y1 - y0)


def glyph_mask(img, box, mrz_ink):
    """Ink of the character of the cell `box` (components centred in it, not a neighbour's edge), grown by 2 px but kept in the box."""
    x, y, w, h = box
    grey = cv2.cvtColor(img[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY)
    n, labels, stats, centroids = cv2.connectedComponentsWithStats((grey < mrz_ink).astype(np.uint8))
    keep = np.zeros((h, w), np.uint8)
    for i in range(1, n):
        if 0.2 * w <= centroids[i][0] <= 0.8 * w:
            keep[labels == i] = 255
    return cv2.dilate(keep, np.ones((3, 3), np.uint8), iterations=2)


def inpaint_cells(img, boxes, mrz_ink):
    """The image with the characters of `boxes` removed and their background filled in from around them."""
    mask = np.zeros(img.shape[:2], np.uint8)
    for (x, y, w, h) in boxes:
        mask[y:y + h, x:x + w] = np.maximum(mask[y:y + h, x:x + w], glyph_mask(img, (x, y, w, h), mrz_ink))
    return cv2.inpaint(img, mask, 3, cv2.INPAINT_TELEA)


def lay_cell(img, src, src_box, dst_box, paper):
    """Lays the ink of `src_box` in `src` onto `img` at `dst_box` (same size), its darkness below the paper as opacity."""
    sx, sy, w, h = src_box
    x, y = dst_box[:2]
    ink = src[sy:sy + h, sx:sx + w].astype(np.float32)
    grey = cv2.cvtColor(src[sy:sy + h, sx:sx + w], cv2.COLOR_BGR2GRAY).astype(np.float32)
    alpha = np.clip((paper - grey) / max(1.0, paper - 40), 0, 1)[..., None]
    roi = img[y:y + h, x:x + w].astype(np.float32)
    img[y:y + h, x:x + w] = np.clip(roi * (1 - alpha) + ink * alpha, 0, 255).astype(np.uint8)


def inside(img, box):
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= img.shape[1] and y + h <= img.shape[0]


def copy_digit(ref, mrz, field, mrz_ink, paper):
    line, first, length = FIELDS[mrz.format][field]
    targets = [first + i for i in range(length) if mrz.lines[line][first + i].isdigit()]
    if not targets:
        return None
    col = int(rng.choice(targets))
    char = mrz.lines[line][col]
    donors = [(l, c) for l in range(mrz.rows) for c in range(mrz.cols) if mrz.lines[l][c].isdigit() and mrz.lines[l][c] != char]
    if not donors:
        return None
    dl, dc = donors[rng.integers(len(donors))]
    tbox = mrz.box(line, col, 0.1)
    sbox = mrz.box(dl, dc, 0.1)
    w, h = min(tbox[2], sbox[2]), min(tbox[3], sbox[3])
    tbox, sbox = (tbox[0], tbox[1], w, h), (sbox[0], sbox[1], w, h)
    if not inside(ref, tbox) or not inside(ref, sbox):
        return None
    img = inpaint_cells(ref.copy(), [tbox], mrz_ink)
    lay_cell(img, ref, sbox, tbox, paper)
    return img, [(line, col)], f'{char} -> {mrz.lines[dl][dc]}'


def rewrite_number(ref, mrz, mrz_ink):
    line, first, length = FIELDS[mrz.format]['document_number']
    value = mrz.lines[line][first:first + length].rstrip('<')
    if not value:
        return None
    cols = list(range(first, first + len(value)))
    chars = list(value)
    i = int(rng.integers(len(chars)))
    pool = '0123456789' if chars[i].isdigit() else 'ABCDEFGHJKLMNPRSTUVWXYZ'
    chars[i] = str(rng.choice([c for c in pool if c != chars[i]]))
    boxes = [mrz.box(line, c, 0.1) for c in cols]
    if not all(inside(ref, b) for b in boxes):
        return None
    img = inpaint_cells(ref.copy(), boxes, mrz_ink)
    cells = [mrz.cell(line, c) for c in cols]
    height = 0.7 * np.linalg.norm(cells[0][3] - cells[0][0])
    scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_SIMPLEX, max(4, int(round(height))), 1)
    for c, cell in zip(chars, cells):
        base = cell[3] + 0.15 * (cell[0] - cell[3])
        (tw, _), _ = cv2.getTextSize(c, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        org = (int(round(base[0] + (np.linalg.norm(cell[1] - cell[0]) - tw) / 2)), int(round(base[1])))
        cv2.putText(img, c, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (30, 30, 30), max(1, int(round(height / 12))), cv2.LINE_AA)
    return img, [(line, c) for c in cols], f'{value} -> {"".join(chars)}'


def masks(name, ref, img, mrz, cells):
    quad = np.zeros(ref.shape[:2], np.uint8)
    for (line, col) in cells:
        cv2.fillPoly(quad, [np.round(mrz.cell(line, col)).astype(np.int32)], 255)
    diff = np.abs(cv2.GaussianBlur(img, (5, 5), 0).astype(np.int16) - cv2.GaussianBlur(ref, (5, 5), 0).astype(np.int16)).max(axis=2)
    near = cv2.dilate(quad, np.ones((11, 11), np.uint8))
    pixel = ((diff > 40) & (near > 0)).astype(np.uint8) * 255
    pixel = cv2.morphologyEx(pixel, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    cv2.imwrite(os.path.join(args.out, 'masks', f'{name}_fieldquad.png'), quad)
    cv2.imwrite(os.path.join(args.out, 'masks', f'{name}_pixeldiff.png'), pixel)
    return int((pixel > 0).sum())


cases, reencoded = [], []
for spec in json.load(open(args.geometry)):
    ref_file = os.path.abspath(os.path.join(args.specimens, spec['file']))
    ref = cv2.imread(ref_file)
    if ref is None:
        raise SystemExit(f'specimen-forgeries: cannot read {ref_file}')
    mrz = Mrz(spec)
    mrz.format = spec['format']
    if mrz.format not in FIELDS:
        continue
    stem = os.path.splitext(spec['file'])[0]
    x0, y0 = np.floor(mrz.quad.min(axis=0)).astype(int)
    x1, y1 = np.ceil(mrz.quad.max(axis=0)).astype(int)
    band = cv2.cvtColor(ref[max(0, y0):y1, max(0, x0):x1], cv2.COLOR_BGR2GRAY)
    otsu, _ = cv2.threshold(band, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    paper = float(np.percentile(band, 90))
    # Halfway from the ink-background split to the paper: the glyphs' anti-aliased rims too (and any background line they cross).
    mrz_ink = (otsu + paper) / 2
    name = f'{stem}-reencoded'
    cv2.imwrite(os.path.join(args.out, f'{name}.jpg'), ref, [cv2.IMWRITE_JPEG_QUALITY, 90])
    reencoded.append({'id': f'{spec["file"]} re-encoded', 'reference': ref_file, 'questioned': f'{name}.jpg'})
    field = str(rng.choice(['birth_date', 'expiry_date', 'document_number']))
    for kind, made in (('copy', copy_digit(ref, mrz, field, mrz_ink, paper)), ('rewrite', rewrite_number(ref, mrz, mrz_ink))):
        if made is None:
            continue
        img, cells, change = made
        f = field if kind == 'copy' else 'document_number'
        name = f'{stem}-{kind}-{f}'
        cv2.imwrite(os.path.join(args.out, f'{name}.jpg'), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
        changed = masks(name, ref, cv2.imread(os.path.join(args.out, f'{name}.jpg')), mrz, cells)
        if changed == 0:
            continue  # the JPEG left nothing a reader could see changed
        cases.append({
            'id': f'specimen seed {args.seed}: {spec["file"]} {kind}-{f} ({change})',
            'reference': ref_file,
            'questioned': f'{name}.jpg',
            'label': 'forged',
            'manipulated_fields': [f'mrz:{f}'],
            'H_ref_to_questioned': [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
            'mask_fieldquad': f'masks/{name}_fieldquad.png',
            'mask_pixeldiff': f'masks/{name}_pixeldiff.png',
        })
json.dump({'description': f'MRZ forgeries of specimen documents generated by specimen-forgeries.py, seed {args.seed}', 'cases': cases, 'reencoded': reencoded},
          open(os.path.join(args.out, 'cases.json'), 'w'), indent=1, ensure_ascii=False)
print(f'{len(cases)} forgeries and {len(reencoded)} re-encoded specimens in {args.out}')
