import { assignFiles, emptySlot, slotForFileName, USUAL_LIGHTS } from './image-slot';

const file = (name: string) => new File([new Uint8Array([1, 2, 3])], name, { type: 'image/jpeg' });
const filled = (files: string[], slots: readonly string[] = USUAL_LIGHTS) =>
  Object.fromEntries(assignFiles(slots.map(emptySlot), files.map(file)).map((s) => [s.light, s.file?.name ?? null]));

test('a light-source id in the name finds its slot', () => {
  expect(slotForFileName('page1_uv-365.tif', [...USUAL_LIGHTS])).toBe('uv-365');
  expect(slotForFileName('page1_IR-870.JPG', [...USUAL_LIGHTS])).toBe('ir-870');
});

test('the short names scanners and people use find the slot when only one slot can be meant', () => {
  const slots = [...USUAL_LIGHTS];
  expect(slotForFileName('passport_UV.jpg', slots)).toBe('uv-365');
  expect(slotForFileName('passport_ir.jpg', slots)).toBe('ir-870');
  expect(slotForFileName('passport UV365.jpg', slots)).toBe('uv-365');
  expect(slotForFileName('passport_vis.jpg', slots)).toBe('white');
  // Two UV slots: "uv" alone cannot say which.
  expect(slotForFileName('passport_uv.jpg', [...slots, 'uv-254'])).toBeUndefined();
  // Words inside other words are not light names.
  expect(slotForFileName('irina_visa.jpg', slots)).toBeUndefined();
});

test('several files dropped at once: named files take their slots first, so none lands in another light or is dropped', () => {
  expect(filled(['doc_IR.jpg', 'doc_UV.jpg', 'doc_white.jpg'])).toEqual({ white: 'doc_white.jpg', 'uv-365': 'doc_UV.jpg', 'ir-870': 'doc_IR.jpg' });
  // An unnamed file takes a slot no named file claims, and never replaces one.
  expect(filled(['scan.jpg', 'scan_white.jpg'])).toEqual({ white: 'scan_white.jpg', 'uv-365': 'scan.jpg', 'ir-870': null });
});

test('a file the browser knows is no accepted image is refused at its slot, which keeps what it had; dropped among others it takes no slot', () => {
  const notes = new File(['notes'], 'notes.txt', { type: 'text/plain' });
  const photo = file('doc_white.jpg');
  const [white] = assignFiles([{ ...emptySlot('white'), file: photo }], [notes], 'white');
  expect(white!.file).toBe(photo);
  expect(white!.error).toBe('notes.txt is not an image the laboratory accepts: only JPEG, PNG, TIFF and WebP images are');
  const dropped = assignFiles(USUAL_LIGHTS.map(emptySlot), [notes, file('scan.jpg')]);
  expect(dropped.map((s) => s.file?.name ?? null)).toEqual(['scan.jpg', null, null]);
  expect(dropped.every((s) => s.error === null)).toBe(true);
  // A TIFF, and a file whose type the browser does not know, are left to the API (it reads the bytes).
  const tiff = new File([new Uint8Array([1])], 'page_ir.tif', { type: 'image/tiff' });
  const unknown = new File([new Uint8Array([1])], 'page_uv.raw', { type: '' });
  expect(assignFiles(USUAL_LIGHTS.map(emptySlot), [tiff, unknown]).map((s) => s.file?.name ?? null)).toEqual([null, 'page_uv.raw', 'page_ir.tif']);
});
