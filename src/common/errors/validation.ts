import { ArgumentMetadata, HttpStatus, ValidationError, ValidationPipe } from '@nestjs/common';
import { ApiError, ErrorDetail } from './api-error';
import { fieldPath } from './field-path';
import { findRawInputProblems, MAX_REPORTED_PROBLEMS } from './raw-input';

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): ErrorDetail[] {
  // Rules that share one message (e.g. "a whole number from 1 to 200" for IsInt, Min and Max) say it once.
  const seen = new Set<string>();
  return flatten(errors, prefix).filter((d) => {
    const key = `${d.field}\n${d.problem}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function flatten(errors: ValidationError[], prefix: string): ErrorDetail[] {
  return errors.flatMap((error) => {
    const field = fieldPath(prefix, error.property);
    const own = Object.values(error.constraints ?? {}).map((problem) => ({
      field,
      problem: problem.startsWith('property ') ? 'unknown field' : problem,
    }));
    return own.concat(flatten(error.children ?? [], field));
  });
}

/** The global pipe: DTOs transform, unknown fields are rejected, errors use the API's shape. */
class ApiValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problems = findRawInputProblems(value, metadata.data);
      if (problems.length > 0) throw ApiError.validation(problems);
    }
    if (metadata.type === 'body' && !metadata.data && this.toValidate(metadata)) {
      // Without a JSON body (none, or one in another format the JSON parser left unread) Nest would
      // validate `{}` instead, and a POST of text/plain would create an empty record.
      if (value === undefined) {
        throw new ApiError(HttpStatus.BAD_REQUEST, 'BODY_REQUIRED', 'This request needs a JSON body sent with Content-Type: application/json.', [
          { field: 'body', problem: 'body must be a JSON object' },
        ]);
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw ApiError.validation([{ field: 'body', problem: 'body must be a JSON object' }]);
      }
    }
    return super.transform(value, metadata);
  }
}

export function createValidationPipe(): ValidationPipe {
  return new ApiValidationPipe({
    transform: true,
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors) => ApiError.validation(flattenValidationErrors(errors).slice(0, MAX_REPORTED_PROBLEMS)),
  });
}
