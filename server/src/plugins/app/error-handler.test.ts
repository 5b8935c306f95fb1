import { ExemplarError } from '../../errors';
import { toErrorBody } from './error-handler';

const fastifyError = (code: string, statusCode: number, message: string) => Object.assign(new Error(message), { code, statusCode });

describe('toErrorBody', () => {
  it('passes client errors through with their code, message and details', () => {
    const err = new ExemplarError('REVISION_CONFLICT', 'changed meanwhile', { currentRevision: 4 });
    expect(toErrorBody(err, 'req-1')).toEqual({
      status: 409,
      body: { code: 'REVISION_CONFLICT', message: 'changed meanwhile', details: { currentRevision: 4 } },
      internal: false,
    });
  });

  it.each([
    ['FST_REQ_FILE_TOO_LARGE', 413, 413, 'PAYLOAD_TOO_LARGE'],
    ['FST_FILES_LIMIT', 413, 413, 'PAYLOAD_TOO_LARGE'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'BAD_REQUEST'],
    ['FST_INVALID_MULTIPART_CONTENT_TYPE', 406, 415, 'UNSUPPORTED_MEDIA_TYPE'],
    ['SOME_PLUGIN_NOT_FOUND', 404, 404, 'NOT_FOUND'],
  ])('maps framework error %s (%d) to %d %s', (code, statusCode, status, expected) => {
    const result = toErrorBody(fastifyError(code, statusCode, 'framework says no'), 'req-2');
    expect(result.status).toBe(status);
    expect(result.body.code).toBe(expected);
    expect(result.internal).toBe(false);
  });

  it.each([
    ['a plain Error', new Error('SQLITE_CORRUPT at /var/lib/x.sqlite')],
    ['a system error', Object.assign(new Error('EACCES: /srv/data/objects'), { code: 'EACCES' })],
    ['a coded server error', new ExemplarError('INTEGRITY_FAILED', 'object originals/ab/… hashes to …')],
    ['a thrown string', 'boom'],
  ])('hides %s behind INTERNAL with the request id', (_what, err) => {
    const result = toErrorBody(err, 'req-3');
    expect(result).toEqual({ status: 500, body: { code: 'INTERNAL', message: expect.any(String), details: { requestId: 'req-3' } }, internal: true });
    expect(result.body.message).not.toMatch(/SQLITE|EACCES|originals|boom/);
  });

  it('tells the client to retry when a queue is full', () => {
    const result = toErrorBody(new ExemplarError('QUEUE_FULL', 'comparison queue is full'), 'req-4');
    expect(result.status).toBe(503);
    expect(result.body.code).toBe('QUEUE_FULL');
  });
});
