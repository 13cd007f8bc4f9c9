import { HttpStatus } from '@nestjs/common';
import { createWriteStream } from 'node:fs';
import { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve } from 'node:path';
import { Transform, TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ApiError } from '../../common/errors/api-error';
import { ImportFormat } from './import-job.entity';

const FORMAT_OF_MEDIA_TYPE: Record<string, ImportFormat> = {
  'text/csv': 'csv',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-jsonlines': 'jsonl',
};
const GENERIC_MEDIA_TYPES = new Set(['', 'application/octet-stream', 'text/plain']);

/** The file format from Content-Type, or from ?format when the type is generic; both must agree when both are given. */
export function resolveUploadFormat(headers: IncomingMessage['headers'], requested: ImportFormat | undefined): ImportFormat {
  const encoding = (headers['content-encoding'] ?? 'identity').toLowerCase();
  if (encoding !== 'identity') {
    throw new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_ENCODING', 'Send the file uncompressed (no Content-Encoding).');
  }
  const [mediaType, ...parameters] = (headers['content-type'] ?? '').split(';').map((p) => p.trim().toLowerCase());
  const charset = parameters.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new ApiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_CHARSET', 'Import files must be UTF-8.');
  }
  const declared = FORMAT_OF_MEDIA_TYPE[mediaType];
  if (declared && requested && declared !== requested) {
    throw ApiError.validation([{ field: 'format', problem: `format=${requested} contradicts Content-Type ${mediaType}` }]);
  }
  const format = declared ?? (GENERIC_MEDIA_TYPES.has(mediaType) ? requested : undefined);
  if (!format) {
    throw new ApiError(
      HttpStatus.UNSUPPORTED_MEDIA_TYPE,
      'UNSUPPORTED_MEDIA_TYPE',
      'Send CSV as text/csv or JSON lines as application/x-ndjson (or a generic type with ?format=csv|jsonl).',
    );
  }
  return format;
}

/** Where an upload for a job is kept: the service owns exactly this file, and deletes it when the job ends. */
export function uploadPath(importDir: string, job: { id: string; format: ImportFormat }): string {
  return join(resolve(importDir), `${job.id}.${job.format}`);
}

class TooLarge extends Error {}

/**
 * Streams the request body into `path` without holding it in memory, stopping at `maxBytes`.
 * Returns the number of bytes written. The caller removes the file if this throws.
 */
export async function saveUpload(request: IncomingMessage, response: ServerResponse, path: string, maxBytes: number): Promise<number> {
  const tooLarge = () => {
    // The rest of the body is never read, so the connection cannot carry another request.
    response.setHeader('Connection', 'close');
    return new ApiError(HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE', `The file is larger than the import limit of ${maxBytes} bytes.`);
  };
  if (Number(request.headers['content-length'] ?? 0) > maxBytes) throw tooLarge();
  let bytes = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      bytes += chunk.length;
      done(bytes > maxBytes ? new TooLarge() : null, chunk);
    },
  });
  // Piped rather than passed to pipeline(): pipeline would destroy the request, and with it the
  // socket the 413 has to be written to.
  const aborted = new Promise<never>((_, reject) => request.once('close', () => !request.complete && reject(new Error('aborted'))));
  request.pipe(limit);
  try {
    await Promise.race([pipeline(limit, createWriteStream(path, { flags: 'wx' })), aborted]);
    return bytes;
  } catch (error) {
    request.unpipe(limit);
    if (error instanceof TooLarge) throw tooLarge();
    throw new ApiError(HttpStatus.BAD_REQUEST, 'REQUEST_ABORTED', 'The upload did not complete.');
  }
}
