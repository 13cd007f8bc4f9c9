import { plainToInstance, Transform } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { isSupportedCountry } from 'libphonenumber-js/max';

/** Digits only: Number() would also read " 80", "0x50" and "1e3" as ports. */
const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : NaN;

const portMessage = { message: 'PORT must be an integer between 0 and 65535' };
const poolMessage = { message: 'DB_POOL_SIZE must be an integer between 1 and 100' };
const smtpPoolMessage = { message: 'SMTP_POOL_SIZE must be an integer between 1 and 50' };
const workerMessage = (name: string, min: number, max: number) => ({ message: `${name} must be an integer between ${min} and ${max}` });
const importMessage = { message: 'IMPORT_MAX_BYTES must be a positive integer' };

/** Values that must not reach a terminal or a log, even when they are wrong. */
const SECRET_VARIABLES = new Set(['SECRET_KEY', 'TWILIO_AUTH_TOKEN']);

/**
 * Every environment variable Tidings reads, validated once at start-up.
 * Nothing else in the code reads process.env.
 */
export class AppConfig {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt)
  @IsInt(portMessage)
  @Min(0, portMessage)
  @Max(65535, portMessage)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** A PostgreSQL URL. When absent, an embedded PostgreSQL (PGlite) in EMBEDDED_DB_DIR is used. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\/.+/, { message: 'DATABASE_URL must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;

  @IsString()
  EMBEDDED_DB_DIR = './var/db';

  @Transform(toInt)
  @IsInt(poolMessage)
  @Min(1, poolMessage)
  @Max(100, poolMessage)
  DB_POOL_SIZE = 10;

  @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL = 'info';

  /**
   * Signs public tokens and keys the hashes of erased identities. Required in production; in
   * development and test a random one is generated once and kept in var/secret.key.
   */
  @IsOptional()
  @MinLength(32, { message: 'SECRET_KEY must be at least 32 characters' })
  SECRET_KEY?: string;

  @IsString()
  IMPORT_DIR = './var/imports';

  /** Region used to read phone numbers written without a country code (ISO 3166-1 alpha-2). */
  @IsOptional()
  @Matches(/^[A-Z]{2}$/, { message: 'DEFAULT_PHONE_REGION must be an ISO 3166-1 alpha-2 code such as CN or US' })
  DEFAULT_PHONE_REGION?: string;

  @Matches(/^\d+(kb|mb)$/, { message: 'JSON_BODY_LIMIT must look like 100kb or 1mb' })
  JSON_BODY_LIMIT = '1mb';

  @Transform(toInt)
  @IsInt(importMessage)
  @Min(1, importMessage)
  @Max(Number.MAX_SAFE_INTEGER, importMessage)
  IMPORT_MAX_BYTES = 2 * 1024 * 1024 * 1024;

  /**
   * Where customers reach the public routes (unsubscribe, preference forms, tracking). Links in
   * messages are built from it. Defaults to http://localhost:PORT.
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'PUBLIC_BASE_URL must be an http(s) URL without query or fragment' })
  PUBLIC_BASE_URL?: string;

  /**
   * Which sites may show the public sign-up form in an iframe (CSP frame-ancestors, on the sign-up
   * routes only; every other page stays unframeable): `*`, or origins separated by spaces.
   */
  @Matches(/^(\*|'self'|https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?)( (\*|'self'|https?:\/\/(\*\.)?[A-Za-z0-9.-]+(:\d{1,5})?))*$/, {
    message: "SIGNUP_FRAME_ANCESTORS must be * or origins separated by spaces, e.g. https://shop.example.com 'self'",
  })
  SIGNUP_FRAME_ANCESTORS = '*';

  /** Where the file channels write when no provider is configured (e-mail .eml, SMS .jsonl, print batches). */
  @IsString()
  OUTBOX_DIR = './var/outbox';

  /** smtp:// or smtps:// URL of the relay. Absent: e-mails are written as .eml files under OUTBOX_DIR/email. */
  @IsOptional()
  @Matches(/^smtps?:\/\/.+/, { message: 'SMTP_URL must be an smtp:// or smtps:// URL' })
  SMTP_URL?: string;

  @Transform(toInt)
  @IsInt(smtpPoolMessage)
  @Min(1, smtpPoolMessage)
  @Max(50, smtpPoolMessage)
  SMTP_POOL_SIZE = 5;

  /** The From header of every e-mail, e.g. "Tidings Care <care@example.com>". */
  @IsString()
  @MinLength(3)
  MAIL_FROM = 'Tidings <care@localhost>';

  /** DKIM signing: all three or none. The key file holds a PEM private key. */
  @IsOptional()
  @Matches(/^[a-z0-9.-]+\.[a-z]{2,}$/i, { message: 'DKIM_DOMAIN must be a domain name' })
  DKIM_DOMAIN?: string;

  @IsOptional()
  @Matches(/^[a-z0-9._-]+$/i, { message: 'DKIM_SELECTOR must be a DNS label' })
  DKIM_SELECTOR?: string;

  @IsOptional()
  @IsString()
  DKIM_PRIVATE_KEY_FILE?: string;

  /** Twilio: account SID and auth token together, plus a sender (a number or a messaging service SID). */
  @IsOptional()
  @Matches(/^AC[0-9a-f]{32}$/i, { message: 'TWILIO_ACCOUNT_SID must look like AC followed by 32 hex digits' })
  TWILIO_ACCOUNT_SID?: string;

  @IsOptional()
  @MinLength(16, { message: 'TWILIO_AUTH_TOKEN must be at least 16 characters' })
  TWILIO_AUTH_TOKEN?: string;

  @IsOptional()
  @Matches(/^(\+[1-9]\d{6,14}|MG[0-9a-f]{32})$/i, { message: 'TWILIO_FROM must be an E.164 number or a messaging service SID (MG…)' })
  TWILIO_FROM?: string;

  /** Overrides https://api.twilio.com, for a regional proxy or a local test server. */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s]+$/, { message: 'TWILIO_API_BASE_URL must be an http(s) URL' })
  TWILIO_API_BASE_URL?: string;

  /** Run the delivery workers and trigger scheduler inside this process (`npm run worker` runs them alone). */
  @IsIn(['true', 'false'], { message: 'RUN_WORKERS must be true or false' })
  RUN_WORKERS: 'true' | 'false' = 'true';

  /**
   * Messages each of a worker's two delivery loops has in flight at once. A message holds its slot
   * until its answer is recorded, so this must comfortably exceed the provider connections
   * (SMTP_POOL_SIZE) or they wait for the database: 30 measured best with 5 connections.
   */
  @Transform(toInt)
  @IsInt(workerMessage('WORKER_CONCURRENCY', 1, 200))
  @Min(1, workerMessage('WORKER_CONCURRENCY', 1, 200))
  @Max(200, workerMessage('WORKER_CONCURRENCY', 1, 200))
  WORKER_CONCURRENCY = 30;

  /** Outbox rows claimed per round trip: many messages per claim, never one queue job per message. */
  @Transform(toInt)
  @IsInt(workerMessage('WORKER_BATCH_SIZE', 1, 5000))
  @Min(1, workerMessage('WORKER_BATCH_SIZE', 1, 5000))
  @Max(5000, workerMessage('WORKER_BATCH_SIZE', 1, 5000))
  WORKER_BATCH_SIZE = 100;

  /** How long a claim holds before another worker may take the rows over (a crashed worker's rows). */
  @Transform(toInt)
  @IsInt(workerMessage('WORKER_LEASE_SECONDS', 5, 3600))
  @Min(5, workerMessage('WORKER_LEASE_SECONDS', 5, 3600))
  @Max(3600, workerMessage('WORKER_LEASE_SECONDS', 5, 3600))
  WORKER_LEASE_SECONDS = 60;

  /** Per-channel send rate of one process, messages a second; 0 means no limit. */
  @Transform(toInt)
  @IsInt(workerMessage('RATE_LIMIT_EMAIL', 0, 100000))
  @Min(0, workerMessage('RATE_LIMIT_EMAIL', 0, 100000))
  @Max(100000, workerMessage('RATE_LIMIT_EMAIL', 0, 100000))
  RATE_LIMIT_EMAIL = 0;

  @Transform(toInt)
  @IsInt(workerMessage('RATE_LIMIT_SMS', 0, 100000))
  @Min(0, workerMessage('RATE_LIMIT_SMS', 0, 100000))
  @Max(100000, workerMessage('RATE_LIMIT_SMS', 0, 100000))
  RATE_LIMIT_SMS = 0;

  /** Requests a minute one IP may make to each public route (preference pages, unsubscribe, sign-up, tracking); more get 429. */
  @Transform(toInt)
  @IsInt(workerMessage('PUBLIC_RATE_LIMIT_PER_MINUTE', 1, 100000))
  @Min(1, workerMessage('PUBLIC_RATE_LIMIT_PER_MINUTE', 1, 100000))
  @Max(100000, workerMessage('PUBLIC_RATE_LIMIT_PER_MINUTE', 1, 100000))
  PUBLIC_RATE_LIMIT_PER_MINUTE = 60;

  /** A TrueType font with Chinese glyphs for printed letters; absent, common system paths are tried. */
  @IsOptional()
  @IsString()
  PRINT_CJK_FONT?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * The process's role decides whether delivery runs in it, whatever RUN_WORKERS says: the CLI must
 * not start sending as a side effect of `apikey list`, and `npm run worker` exists to send.
 */
let runWorkersOverride: 'true' | 'false' | null = null;
let quietLogs = false;
export function setProcessRole(role: 'server' | 'worker' | 'cli' | 'demo'): void {
  runWorkersOverride = role === 'server' ? null : role === 'worker' ? 'true' : 'false';
  // The demo prints its own report; request logs would bury it.
  quietLogs = role === 'demo';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const known = Object.keys(new AppConfig()).concat(OPTIONAL_VARIABLES);
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(AppConfig, relevant);
  // One line per variable, naming it and what was given, so every mistake is fixed in one go.
  const problems = validateSync(config, { whitelist: false }).map((e) => {
    const reasons = [...new Set(Object.values(e.constraints ?? {}).map((m) => m.replace(new RegExp(`^${e.property} `), '')))];
    return `${e.property}=${shown(e.property, env[e.property])}: ${reasons.join('; ')}`;
  });
  if (config.DEFAULT_PHONE_REGION && /^[A-Z]{2}$/.test(config.DEFAULT_PHONE_REGION) && !isSupportedCountry(config.DEFAULT_PHONE_REGION)) {
    problems.push(`DEFAULT_PHONE_REGION=${shown('DEFAULT_PHONE_REGION', config.DEFAULT_PHONE_REGION)}: not a region with its own phone numbering plan`);
  }
  if (runWorkersOverride) config.RUN_WORKERS = runWorkersOverride;
  if (quietLogs && !env.LOG_LEVEL) config.LOG_LEVEL = 'warn';
  problems.push(...incompleteGroups(config));
  if (config.NODE_ENV === 'production' && !config.SECRET_KEY) {
    problems.push('SECRET_KEY: required when NODE_ENV=production (at least 32 characters)');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

/** Variables without a default (absent from `new AppConfig()`'s keys). */
const OPTIONAL_VARIABLES = [
  'DATABASE_URL', 'SECRET_KEY', 'DEFAULT_PHONE_REGION', 'PUBLIC_BASE_URL', 'SMTP_URL', 'DKIM_DOMAIN', 'DKIM_SELECTOR',
  'DKIM_PRIVATE_KEY_FILE', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM', 'TWILIO_API_BASE_URL', 'PRINT_CJK_FONT',
];

/** Settings that only work together: half a DKIM or Twilio setup is a mistake, not a choice. */
function incompleteGroups(config: AppConfig): string[] {
  const groups: Array<Array<keyof AppConfig>> = [
    ['DKIM_DOMAIN', 'DKIM_SELECTOR', 'DKIM_PRIVATE_KEY_FILE'],
    ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_FROM'],
  ];
  const problems: string[] = [];
  for (const group of groups) {
    const given = group.filter((name) => config[name] !== undefined);
    if (given.length > 0 && given.length < group.length) {
      const missing = group.filter((name) => config[name] === undefined);
      problems.push(`${missing.join(', ')}: required together with ${given.join(', ')}`);
    }
  }
  return problems;
}

/** The base URL of public links, without a trailing slash. */
export function publicBaseUrl(config: AppConfig): string {
  return (config.PUBLIC_BASE_URL ?? `http://localhost:${config.PORT}`).replace(/\/+$/, '');
}

/** The given value as the message shows it: secrets by length only, URLs without their password. */
function shown(name: string, value: string | undefined): string {
  if (value === undefined) return '""';
  if (SECRET_VARIABLES.has(name)) return `<hidden, ${value.length} characters>`;
  return JSON.stringify(value.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*:)[^@]*@/i, '$1***@'));
}
