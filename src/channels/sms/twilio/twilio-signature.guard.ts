import { CanActivate, ExecutionContext, HttpStatus, Inject, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import twilio from 'twilio';
import { ApiError } from '../../../common/errors/api-error';
import { TWILIO_SETTINGS, TwilioSettings } from './twilio-settings';

/**
 * Lets a webhook through only when Twilio signed it: HMAC of the URL Twilio called plus the sorted
 * form fields, keyed with the auth token. The URL is rebuilt from PUBLIC_BASE_URL, not from the Host
 * header, so it must name the address Twilio calls. Runs before any handler, so a refused request
 * writes nothing.
 */
@Injectable()
export class TwilioSignatureGuard implements CanActivate {
  constructor(@Inject(TWILIO_SETTINGS) private readonly settings: TwilioSettings | null) {}

  canActivate(context: ExecutionContext): boolean {
    if (!this.settings) throw new ApiError(HttpStatus.NOT_FOUND, 'NOT_FOUND', 'Twilio is not configured on this service.');
    const request = context.switchToHttp().getRequest<Request>();
    const signature = request.header('x-twilio-signature');
    if (!signature) {
      throw new ApiError(HttpStatus.BAD_REQUEST, 'SIGNATURE_MISSING', 'Twilio webhooks must carry an X-Twilio-Signature header.', [
        { field: 'X-Twilio-Signature', problem: 'X-Twilio-Signature header is required' },
      ]);
    }
    const params = request.body && typeof request.body === 'object' && !Array.isArray(request.body) ? (request.body as Record<string, unknown>) : {};
    const url = this.settings.publicBaseUrl + request.originalUrl;
    if (!twilio.validateRequest(this.settings.authToken, signature, url, params)) {
      throw new ApiError(HttpStatus.FORBIDDEN, 'SIGNATURE_INVALID', 'The X-Twilio-Signature does not match this request.', [
        { field: 'X-Twilio-Signature', problem: 'X-Twilio-Signature does not match the URL and parameters signed with our auth token' },
      ]);
    }
    return true;
  }
}
