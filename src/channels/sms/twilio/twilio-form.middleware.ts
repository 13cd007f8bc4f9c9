import { Injectable, NestMiddleware } from '@nestjs/common';
import { urlencoded, type NextFunction, type Request, type Response } from 'express';
import { rejectUnreadableBody } from '../../../common/errors/body-errors';

/** Twilio posts webhooks as forms; the rest of the API takes JSON only, so only these routes read forms. */
const parseForm = urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 });

@Injectable()
export class TwilioFormParser implements NestMiddleware {
  use(req: Request, res: Response, next: NextFunction): void {
    parseForm(req, res, (error?: unknown) => (error ? rejectUnreadableBody(error, req, res, next) : next()));
  }
}
