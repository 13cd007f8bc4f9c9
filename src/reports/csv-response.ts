import type { Response } from 'express';

/** Marks a report's body as a CSV download named `filename`, and returns the body. */
export function csv(res: Response, filename: string, body: string): string {
  res.setHeader('Content-Type', 'text/csv; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
  return body;
}
