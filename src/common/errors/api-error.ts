import { HttpStatus } from '@nestjs/common';

export interface ErrorDetail {
  field: string;
  problem: string;
}

/** The one error shape of the API: `{ error, message, details }`. Domains throw it with their own codes. */
export class ApiError extends Error {
  constructor(
    readonly status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
  }

  toBody() {
    return { error: this.code, message: this.message, details: this.details };
  }

  static validation(details: ErrorDetail[]): ApiError {
    return new ApiError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', 'The request is not valid.', details);
  }

  static notFound(what: string, id: string): ApiError {
    return new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', `${what} ${id} does not exist.`);
  }
}
