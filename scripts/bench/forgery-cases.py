#!/usr/bin/python3
"""Forgeries of the MIDV-2020 Albanian ID-card template 00 in the three ways
forgers alter personal data, written in the layout of the benchdata's
`midv2020-sidtd/alb_id/cases.json` (reference, questioned, label,
manipulated_fields, identity homography, field-quad and pixel-diff masks)
so that pipeline-documents.ts scores them as it scores the SIDTD cases:

- copy-*:    one character of a date or number replaced by another character
             of the same font and size taken from elsewhere on the card, on a
             background mended by inpainting (the careful forger's data
             alteration: the typeface matches);
- replace-*: a whole field cut from the other holder's card (01) and pasted
             over this one (SIDTD's "crop and replace");
- rewrite-*: a field inpainted and typed again in another typeface with one
             or two characters changed (SIDTD's "inpaint and rewrite").

Which characters and fields are altered, and into what, is drawn from the
seed: the same seed writes the same files. Every forgery is saved as JPEG at
quality 90 (as the SIDTD forgeries are), so compression noise covers the
whole card. Masks follow the benchdata README: the field quad filled, and
|questioned - reference| (max over RGB, 5x5 Gaussian) > 40 inside the quad
dilated by 25 px, closed with a 7x7 kernel.

    /usr/bin/python3 scripts/bench/forgery-cases.py OUTDIR [SEED] [--midv DIR]
"""
import argparse, json, os
try:
    import numpy as np, cv2
except ImportError as e:
    raise SystemExit(f'forgery-cases: needs NumPy and OpenCV for Python ({e}); on Debian: apt-get install python3-opencv')

ap = argparse.ArgumentParser()
ap.add_argument('out')
ap.add_argument('seed', nargs='?', type=int, default=1)
ap.add_argument('--midv', default=os.path.join(os.path.dirname(__file__), '../../../shared/benchdata/midv2020-sidtd/alb_id'))
args = ap.parse_args()
rng = np.random.default_rng(args.seed)
os.makedirs(os.path.join(args.out, 'masks'), exist_ok=True)

REF_FILE = os.path.abspath(os.path.join(args.midv, '00.jpg'))
ref = cv2.imread(REF_FILE)
other = cv2.imread(os.path.join(args.midv, '01.jpg'))
if ref is None or other is None:
    raise SystemExit(f'forgery-cases: MIDV-2020 templates 00.jpg and 01.jpg not found in {args.midv}')
ann0 = json.load(open(os.path.join(args.midv, 'annotations/alb_0_id.json')))
ann1 = json.load(open(os.path.join(args.midv, 'annotations/alb_1_id.json')))
H, W = ref.shape[:2]
# Fields printed in the same typeface and size, between which a forger can copy characters.
STYLES = {'regular': ['birth_date', 'issue_date', 'number'], 'bold': ['expiry_date', 'id_number']}
TEXT_FIELDS = ['surname', 'name', 'birth_date', 'issue_date', 'expiry_date', 'number', 'id_number', 'birth_place', 'authority']
INK = 90  # grey level below which a pixel is the personalisation's black ink


def quad_box(field, ann=ann0):
    q = np.array(ann[field]['quad'])
    return int(q[:, 0].min()), int(q[:, 1].min()), int(q[:, 0].max()), int(q[:, 1].max())


def glyphs(field):
    """Ink components of a field left to right, paired with the characters of its value (None when they do not pair up)."""
    x0, y0, x1, y1 = quad_box(field)
    pad = (y1 - y0) // 5
    x0, y0, x1, y1 = max(0, x0 - pad), max(0, y0 - pad), min(W, x1 + pad), min(H, y1 + pad)
    grey = cv2.cvtColor(ref[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY)
    n, _, stats, _ = cv2.connectedComponentsWithStats((grey < INK).astype(np.uint8))
    tall = 0.35 * (y1 - y0)  # drops hyphens, commas and stray guilloche dots
    boxes = sorted((int(s[0]) + x0, int(s[1]) + y0, int(s[2]), int(s[3])) for s in stats[1:] if s[3] >= tall)
    chars = [c for c in ann0[field]['value'] if c.isalnum()]
    return list(zip(boxes, chars)) if len(boxes) == len(chars) else None


def inpaint_ink(img, box, pad):
    """The image with the ink inside `box` removed and its background filled in from around it."""
    x, y, w, h = box
    mask = np.zeros((H, W), np.uint8)
    grey = cv2.cvtColor(img[y:y + h, x:x + w], cv2.COLOR_BGR2GRAY)
    mask[y:y + h, x:x + w] = (grey < 160) * 255  # the glyph with its anti-aliased rim
    mask = cv2.dilate(mask, np.ones((2 * pad + 1, 2 * pad + 1), np.uint8))
    return cv2.inpaint(img, mask, 5, cv2.INPAINT_TELEA)


def lay_ink(img, src, src_box, at):
    """Lays the ink of `src_box` in `src` onto `img` with its top-left at `at`, its darkness as opacity."""
    sx, sy, sw, sh = src_box
    x, y = at
    grey = cv2.cvtColor(src[sy - 2:sy + sh + 2, sx - 2:sx + sw + 2], cv2.COLOR_BGR2GRAY).astype(np.float32)
    alpha = np.clip((200 - grey) / 170, 0, 1)[..., None]
    ink = src[sy - 2:sy + sh + 2, sx - 2:sx + sw + 2].astype(np.float32)
    roi = img[y - 2:y + sh + 2, x - 2:x + sw + 2].astype(np.float32)
    img[y - 2:y + sh + 2, x - 2:x + sw + 2] = np.clip(roi * (1 - alpha) + ink * alpha, 0, 255).astype(np.uint8)


def copy_char(field):
    """One character of `field` replaced by a different one of the same typeface from a field of its style."""
    mine = glyphs(field)
    style = next(s for s, fs in STYLES.items() if field in fs)
    donors = [g for f in STYLES[style] for g in (glyphs(f) or [])]
    if not mine or not donors:
        return None
    (tx, ty, tw, th), tc = mine[rng.integers(len(mine))]
    choices = [g for g in donors if g[1] != tc and abs(g[0][3] - th) <= 2]
    if not choices:
        return None
    (sx, sy, sw, sh), sc = choices[rng.integers(len(choices))]
    img = inpaint_ink(ref.copy(), (tx, ty, tw, th), 3)
    # Centred where the old character stood, on its baseline.
    lay_ink(img, ref, (sx, sy, sw, sh), (tx + (tw - sw) // 2, ty + th - sh))
    return img, f'{tc} -> {sc}'


def replace_field(field):
    """The field cut from the other holder's card, scaled into this card's quad."""
    if ann0[field]['value'] == ann1[field]['value']:
        return None
    x0, y0, x1, y1 = quad_box(field)
    u0, v0, u1, v1 = quad_box(field, ann1)
    img = ref.copy()
    img[y0:y1, x0:x1] = cv2.resize(other[v0:v1, u0:u1], (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
    return img, f"{ann0[field]['value']} -> {ann1[field]['value']}"


def rewrite_field(field):
    """The field inpainted and typed again in another typeface, one or two characters changed."""
    mine = glyphs(field)
    if not mine:
        return None
    value = ann0[field]['value']
    chars = list(value)
    positions = [i for i, c in enumerate(chars) if c.isalnum()]
    for i in rng.choice(positions, size=min(len(positions), int(rng.integers(1, 3))), replace=False):
        pool = '0123456789' if chars[i].isdigit() else 'ABCDEFGHIJKLMNOPRSTUVZ' if chars[i].isupper() else 'abcdefghiklmnoprstuvz'
        chars[i] = str(rng.choice([c for c in pool if c.lower() != chars[i].lower()]))
    text = ''.join(chars)
    x0, y0, x1, y1 = quad_box(field)
    img = ref.copy()
    for box, _ in mine:
        img = inpaint_ink(img, box, 3)
    height = max(b[3] for b, _ in mine)
    base = max(b[1] + b[3] for b, _ in mine)
    scale = cv2.getFontScaleFromHeight(cv2.FONT_HERSHEY_DUPLEX, height, 2)
    cv2.putText(img, text, (mine[0][0][0], base), cv2.FONT_HERSHEY_DUPLEX, scale, (25, 25, 25), 2, cv2.LINE_AA)
    return img, f'{value} -> {text}'


def masks(name, img, field):
    x0, y0, x1, y1 = quad_box(field)
    quad = np.zeros((H, W), np.uint8)
    cv2.fillPoly(quad, [np.array(ann0[field]['quad'], np.int32)], 255)
    diff = np.abs(cv2.GaussianBlur(img, (5, 5), 0).astype(np.int16) - cv2.GaussianBlur(ref, (5, 5), 0).astype(np.int16)).max(axis=2)
    near = cv2.dilate(quad, np.ones((51, 51), np.uint8))
    pixel = ((diff > 40) & (near > 0)).astype(np.uint8) * 255
    pixel = cv2.morphologyEx(pixel, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
    cv2.imwrite(os.path.join(args.out, 'masks', f'{name}_fieldquad.png'), quad)
    cv2.imwrite(os.path.join(args.out, 'masks', f'{name}_pixeldiff.png'), pixel)


plan = [(f'copy-{f}', f, copy_char) for f in STYLES['regular'] + STYLES['bold']]
replace_pool = [f for f in TEXT_FIELDS if ann0[f]['value'] != ann1[f]['value']]
plan += [(f'replace-{f}', f, replace_field) for f in rng.choice(replace_pool, size=3, replace=False)]
plan += [(f'rewrite-{f}', f, rewrite_field) for f in rng.choice(TEXT_FIELDS, size=3, replace=False)]
cases = []
for name, field, forge in plan:
    made = forge(field)
    if made is None:
        continue
    img, change = made
    cv2.imwrite(os.path.join(args.out, f'{name}.jpg'), img, [cv2.IMWRITE_JPEG_QUALITY, 90])
    masks(name, cv2.imread(os.path.join(args.out, f'{name}.jpg')), field)
    cases.append({
        'id': f'generated seed {args.seed}: {name} ({change})',
        'reference': REF_FILE,
        'questioned': f'{name}.jpg',
        'label': 'forged',
        'manipulated_fields': [field],
        'H_ref_to_questioned': [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
        'mask_fieldquad': f'masks/{name}_fieldquad.png',
        'mask_pixeldiff': f'masks/{name}_pixeldiff.png',
    })
json.dump({'description': f'Forgeries of MIDV-2020 alb_id 00 generated by forgery-cases.py, seed {args.seed}', 'cases': cases}, open(os.path.join(args.out, 'cases.json'), 'w'), indent=1, ensure_ascii=False)
print(f'{len(cases)} forgeries in {args.out}')
