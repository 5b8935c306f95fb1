#!/usr/bin/python3
"""Synthetic registration pairs of the kinds the Oxford set leaves out, with
exact homographies, written in the Oxford `pairs.json` layout so that
pipeline-oxford.ts (`--data DIR`) measures them:

- zoomrot-*:   zoom 1.3-3.6x with rotation, on two natural photos and a
               brick wall;
- zoomout-*:   the converse (bark-like): the reference is a detail at full
               resolution, the questioned image a wider, turned view in which
               it appears 1.3-4x smaller, on bark-like and foliage texture;
- viewpoint-*: out-of-plane rotation 20-60 deg (wall-like), on a brick wall
               (repetitive texture) and a natural photo;
- blur-*:      defocus (disk kernel, radius 2-11 px) with a small camera
               shake (trees-like), on foliage-like texture and a natural photo.

The reference is the middle 72 % of a source image, the questioned image a
view of the whole source through the homography (so the scene extends past
the reference, as in a real photo), with gain, gamma, noise and JPEG.
Natural sources are the img1 of Oxford sequences (their own pairs are not
used). Seeded: the same seed writes the same files.

    /usr/bin/python3 scripts/bench/stress-pairs.py OUTDIR [SEED] [--oxford DIR]
"""
import argparse, json, math, os
try:
    import numpy as np, cv2
except ImportError as e:
    raise SystemExit(f'stress-pairs: needs NumPy and OpenCV for Python ({e}); on Debian: apt-get install python3-opencv')

ap = argparse.ArgumentParser()
ap.add_argument('out')
ap.add_argument('seed', nargs='?', type=int, default=1)
ap.add_argument('--oxford', default=os.path.join(os.path.dirname(__file__), '../../../shared/benchdata/oxford-affine'))
args = ap.parse_args()
rng = np.random.default_rng(args.seed)
os.makedirs(args.out, exist_ok=True)
CROP = 0.72


def brick_wall(w, h):
    img = np.full((h, w), 120, np.float32)
    bw, bh, m = int(rng.integers(50, 80)), int(rng.integers(22, 32)), 4
    for r, y in enumerate(range(0, h, bh)):
        off = (bw // 2) * (r % 2)
        for x in range(-off, w, bw):
            img[y + m // 2:y + bh - m // 2, max(0, x + m // 2):max(0, x + bw - m // 2)] = rng.normal(150, 25)
    # weathering at several scales
    for k, a in ((1, 10), (4, 8), (16, 10), (64, 12)):
        img += cv2.resize(rng.normal(0, 1, (h // k + 1, w // k + 1)).astype(np.float32), (w, h)) * a
    return np.clip(img, 0, 255).astype(np.uint8)


def foliage(w, h):
    img = np.full((h, w), 90, np.float32)
    for _ in range(w * h // 60):
        cv2.ellipse(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), (int(rng.integers(3, 14)), int(rng.integers(2, 7))),
                    float(rng.uniform(0, 180)), 0, 360, float(rng.normal(110, 45)), -1)
    img += cv2.resize(rng.normal(0, 1, (h // 32 + 1, w // 32 + 1)).astype(np.float32), (w, h)) * 25
    return np.clip(img, 0, 255).astype(np.uint8)


def bark(w, h):
    """Vertical ridges and furrows at several widths, with lichen patches."""
    img = np.full((h, w), 120, np.float32)
    for width, amp in ((3, 20), (10, 30), (32, 40)):
        ridges = cv2.resize(rng.normal(0, 1, (h // (8 * width) + 2, w // width + 2)).astype(np.float32), (w, h), interpolation=cv2.INTER_CUBIC)
        img += amp * np.tanh(1.5 * ridges)
    img += cv2.resize(rng.normal(0, 1, (h // 4 + 1, w // 4 + 1)).astype(np.float32), (w, h)) * 10
    for _ in range(w * h // 6000):
        cv2.circle(img, (int(rng.integers(0, w)), int(rng.integers(0, h))), int(rng.integers(3, 25)), float(rng.normal(200, 20)), -1)
    return np.clip(img + rng.normal(0, 4, img.shape), 0, 255).astype(np.uint8)


def natural(name):
    img = cv2.imread(os.path.join(args.oxford, name, 'img1.png'), cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise SystemExit(f'stress-pairs: cannot read {name}/img1.png under {args.oxford}')
    return img


def reference_size(src):
    """The reference's (w, h): the middle CROP of the source."""
    hs, ws = src.shape
    return int(ws * CROP), int(hs * CROP)


def reference_of(src, w, h):
    """The middle w x h of the source, and the map from source to reference pixels."""
    hs, ws = src.shape
    x0, y0 = (ws - w) // 2, (hs - h) // 2
    to_ref = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], np.float64)
    return src[y0:y0 + h, x0:x0 + w].copy(), to_ref


def zoomrot(w, h, s, deg):
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    a = math.radians(deg)
    r = np.array([[s * math.cos(a), -s * math.sin(a)], [s * math.sin(a), s * math.cos(a)]])
    g = np.eye(3)
    g[:2, :2] = r
    g[:2, 2] = c - r @ c
    return g


def viewpoint(w, h, deg, axis):
    """A pinhole camera turned `deg` about the plane's vertical (y) or horizontal (x) axis, zoomed to fill the frame."""
    f = 1.2 * max(w, h)
    a = math.radians(deg)
    pts = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)
    c = np.array([(w - 1) / 2, (h - 1) / 2])
    p = np.c_[pts - c, np.zeros(4)]
    if axis == 'y':
        rot = np.array([[math.cos(a), 0, math.sin(a)], [0, 1, 0], [-math.sin(a), 0, math.cos(a)]])
    else:
        rot = np.array([[1, 0, 0], [0, math.cos(a), -math.sin(a)], [0, math.sin(a), math.cos(a)]])
    q = p @ rot.T + np.array([0, 0, f])
    proj = f * q[:, :2] / q[:, 2:3]
    lo, hi = proj.min(0), proj.max(0)
    k = 1.25 * min(w / (hi - lo)[0], h / (hi - lo)[1])
    return cv2.getPerspectiveTransform(pts.astype(np.float32), (proj * k + c).astype(np.float32)).astype(np.float64)


def shake(w, h):
    return zoomrot(w, h, 1 + rng.uniform(-0.02, 0.02), rng.uniform(-1, 1)) @ np.array([[1, 0, rng.uniform(-4, 4)], [0, 1, rng.uniform(-4, 4)], [0, 0, 1]])


def capture(img, disk=0):
    f = img.astype(np.float32)
    if disk:
        k = np.zeros((2 * disk + 1, 2 * disk + 1), np.float32)
        cv2.circle(k, (disk, disk), disk, 1, -1)
        f = cv2.filter2D(f, -1, k / k.sum())
    gain, gamma = rng.uniform(0.8, 1.15), rng.uniform(0.85, 1.15)
    f = 255 * (np.clip(f * gain, 0, 255) / 255) ** gamma + rng.normal(0, 2.0, f.shape)
    ok, enc = cv2.imencode('.jpg', np.clip(f, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return cv2.imdecode(enc, cv2.IMREAD_GRAYSCALE)


sequences = {}


def sequence(name, src, w, h, views):
    """The reference is the middle w x h of `src`; views: (homography reference -> questioned, image it views, blur disk radius) for img2..imgN."""
    ref, to_ref = reference_of(src, w, h)
    folder = os.path.join(args.out, name)
    os.makedirs(folder, exist_ok=True)
    cv2.imwrite(os.path.join(folder, 'img1.png'), ref)
    pairs = []
    for i, (g, seen, disk) in enumerate(views, start=2):
        q = cv2.warpPerspective(seen, g @ to_ref, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        cv2.imwrite(os.path.join(folder, f'img{i}.png'), capture(q, disk))
        pairs.append({'ref': 'img1.png', 'query': f'img{i}.png', 'H': (g / g[2, 2]).tolist()})
    sequences[name] = {'image_size_wh': {'img1.png': [w, h]}, 'pairs': pairs}


def reduced(src, s):
    """The source band-limited before a reduction by s < 1, as a camera's optics would."""
    return cv2.GaussianBlur(src, (0, 0), 0.5 / s) if s < 1 else src


W, H = 1300, 950
for name in ('boat', 'leuven'):
    src = natural(name)
    w, h = reference_size(src)
    sign = 1 if rng.random() < 0.5 else -1
    sequence(f'zoomrot-{name}', src, w, h, [(zoomrot(w, h, s, sign * a + rng.uniform(-5, 5)), src, 0) for s, a in ((1.3, 15), (1.7, 40), (2.2, 70), (2.8, 100), (3.6, 170))])
src = brick_wall(W, H)
w, h = reference_size(src)
sequence('zoomrot-wall', src, w, h, [(zoomrot(w, h, s, a), src, 0) for s, a in ((1.4, 20), (1.8, 45), (2.3, -60), (2.9, 90), (3.5, -150))])
src = brick_wall(W, H)
w, h = reference_size(src)
sequence('viewpoint-wall', src, w, h, [(viewpoint(w, h, a, 'y'), src, 0) for a in (20, 30, 40, 50, 60)])
src = natural('bikes')
w, h = reference_size(src)
sequence('viewpoint-bikes', src, w, h, [(viewpoint(w, h, a, 'x' if i % 2 else 'y'), src, 0) for i, a in enumerate((20, 30, 40, 50, 60))])
src = foliage(W, H)
w, h = reference_size(src)
sequence('blur-foliage', src, w, h, [(shake(w, h), src, r) for r in (2, 4, 6, 8, 11)])
src = natural('graf')
w, h = reference_size(src)
sequence('blur-graf', src, w, h, [(shake(w, h), src, r) for r in (2, 4, 6, 8, 11)])
# The converse of a close-up: a sharp 800 x 560 detail of a large texture, then the whole texture reduced and turned.
for name, make in (('bark', bark), ('foliage', foliage)):
    sign = 1 if rng.random() < 0.5 else -1
    src = make(3200, 2200)
    sequence(f'zoomout-{name}', src, 800, 560,
             [(zoomrot(800, 560, 1 / s, sign * a + rng.uniform(-5, 5)), reduced(src, 1 / s), 0) for s, a in ((1.3, 10), (1.8, 35), (2.4, 60), (3.1, 95), (4.0, 175))])
with open(os.path.join(args.out, 'pairs.json'), 'w') as fh:
    json.dump({'seed': args.seed, 'sequences': sequences}, fh, indent=1)
