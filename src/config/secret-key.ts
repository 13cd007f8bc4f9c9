import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AppConfig } from './app-config';

/** The server-side secret, as bytes. Injected by class so nothing reads it from the environment. */
export class SecretKey {
  constructor(readonly value: Buffer) {}
}

export function resolveSecretKey(config: AppConfig): SecretKey {
  if (config.SECRET_KEY) return new SecretKey(Buffer.from(config.SECRET_KEY, 'utf8'));
  // Development convenience: one random key per checkout, kept beside the embedded database so
  // that tokens and erasure hashes survive restarts.
  const file = join(dirname(config.EMBEDDED_DB_DIR), 'secret.key');
  if (!existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString('hex'), { mode: 0o600 });
  }
  return new SecretKey(Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8'));
}
