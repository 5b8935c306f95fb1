import { ApiError, CLIENT_ERROR_CODES } from '../api/client';
import { afterFailedUpload, emptySlot, type SlotState } from './image-slot';

const uploading = (): SlotState[] => ['white', 'uv-365', 'ir-870'].map((l) => ({ ...emptySlot(l), progress: 0.4 }));

test('a failed upload clears progress and marks the slot its error names, by light source or by part name', () => {
  const byLight = afterFailedUpload(new ApiError(422, 'IMAGE_CORRUPT', 'The uv-365 image is truncated', { lightSource: 'uv-365' }))(uploading());
  expect(byLight.map((s) => [s.light, s.progress, s.error])).toEqual([
    ['white', 0, null],
    ['uv-365', 0, 'The uv-365 image is truncated'],
    ['ir-870', 0, null],
  ]);
  const byPart = afterFailedUpload(new ApiError(413, 'PAYLOAD_TOO_LARGE', 'too large', { field: 'ir-870' }))(uploading());
  expect(byPart.find((s) => s.error)?.light).toBe('ir-870');
});

test('a cancelled or unattributed failure marks no slot', () => {
  for (const err of [new ApiError(0, CLIENT_ERROR_CODES.aborted, 'cancelled', { lightSource: 'white' }), new ApiError(500, 'INTERNAL', 'boom'), new Error('offline')]) {
    const after = afterFailedUpload(err)(uploading());
    expect(after.map((s) => [s.progress, s.error])).toEqual([
      [0, null],
      [0, null],
      [0, null],
    ]);
  }
});
