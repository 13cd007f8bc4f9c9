import { AppConfig, ConfigError, loadConfig } from './app-config';

const SECRET = 'a-production-secret-of-at-least-32-characters';

/** The problems loadConfig reports for `env`, or [] when it accepts it. */
function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config).toBeInstanceOf(AppConfig);
    expect({ ...config }).toEqual({
      NODE_ENV: 'development',
      PORT: 3000,
      HOST: '0.0.0.0',
      EMBEDDED_DB_DIR: './var/db',
      DB_POOL_SIZE: 10,
      LOG_LEVEL: 'info',
      IMPORT_DIR: './var/imports',
      JSON_BODY_LIMIT: '1mb',
      IMPORT_MAX_BYTES: 2 * 1024 * 1024 * 1024,
      SIGNUP_FRAME_ANCESTORS: '*',
      PUBLIC_RATE_LIMIT_PER_MINUTE: 60,
      OUTBOX_DIR: './var/outbox',
      SMTP_POOL_SIZE: 5,
      MAIL_FROM: 'Tidings <care@localhost>',
      RUN_WORKERS: 'true',
      WORKER_CONCURRENCY: 30,
      WORKER_BATCH_SIZE: 100,
      WORKER_LEASE_SECONDS: 60,
      RATE_LIMIT_EMAIL: 0,
      RATE_LIMIT_SMS: 0,
    });
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.SECRET_KEY).toBeUndefined();
  });

  it('reads numbers as numbers, treats an empty variable as unset and ignores variables it does not know', () => {
    const config = loadConfig({ PORT: '8080', DB_POOL_SIZE: '', HOST: '127.0.0.1', PATH: '/usr/bin', DATABASE_URL: 'postgres://db/tidings' });
    expect(config.PORT).toBe(8080);
    expect(config.DB_POOL_SIZE).toBe(10);
    expect(config.HOST).toBe('127.0.0.1');
    expect(config.DATABASE_URL).toBe('postgres://db/tidings');
    expect(config).not.toHaveProperty('PATH');
  });

  it('reports every bad variable at once, one line each, starting with its name', () => {
    const problems = problemsOf({
      NODE_ENV: 'staging',
      PORT: 'abc',
      DB_POOL_SIZE: '101',
      LOG_LEVEL: 'verbose',
      DATABASE_URL: 'mysql://db/tidings',
      JSON_BODY_LIMIT: '1gb',
      IMPORT_MAX_BYTES: '-5',
      DEFAULT_PHONE_REGION: 'cn',
    });
    expect(problems.map((p) => p.split(/[=:]/)[0]).sort()).toEqual(
      ['DATABASE_URL', 'DB_POOL_SIZE', 'DEFAULT_PHONE_REGION', 'IMPORT_MAX_BYTES', 'JSON_BODY_LIMIT', 'LOG_LEVEL', 'NODE_ENV', 'PORT'].sort(),
    );
    expect(problems).toContain('PORT="abc": must be an integer between 0 and 65535');
    expect(problems).toContain('DB_POOL_SIZE="101": must be an integer between 1 and 100');
  });

  it('puts every problem in the message that stops the process', () => {
    const error = (() => {
      try {
        loadConfig({ PORT: 'abc', LOG_LEVEL: 'loud' });
      } catch (e) {
        return e as Error;
      }
      throw new Error('loadConfig accepted a bad configuration');
    })();
    expect(error.message).toBe(
      'Invalid configuration:\n' +
        '  - PORT="abc": must be an integer between 0 and 65535\n' +
        '  - LOG_LEVEL="loud": must be one of the following values: fatal, error, warn, info, debug, trace, silent',
    );
  });

  it.each([' 80', '0x50', '1e3', '80.0', '8o', '-1', '65536'])('refuses PORT=%j rather than guessing a port from it', (port) => {
    expect(problemsOf({ PORT: port })).toEqual([`PORT=${JSON.stringify(port)}: must be an integer between 0 and 65535`]);
  });

  it('requires SECRET_KEY in production, alongside any other problem', () => {
    expect(problemsOf({ NODE_ENV: 'production', PORT: 'abc' })).toEqual([
      'PORT="abc": must be an integer between 0 and 65535',
      'SECRET_KEY: required when NODE_ENV=production (at least 32 characters)',
    ]);
    expect(loadConfig({ NODE_ENV: 'production', SECRET_KEY: SECRET }).SECRET_KEY).toBe(SECRET);
    expect(loadConfig({ NODE_ENV: 'development' }).SECRET_KEY).toBeUndefined();
  });

  it('never prints a secret, even a wrong one, nor the password of a URL', () => {
    const problems = problemsOf({ SECRET_KEY: 'hunter2-too-short', DATABASE_URL: 'mysql://tidings:s3cr3t-pw@db:3306/tidings' });
    expect(problems).toEqual([
      'DATABASE_URL="mysql://tidings:***@db:3306/tidings": must be a postgres:// or postgresql:// URL',
      'SECRET_KEY=<hidden, 17 characters>: must be at least 32 characters',
    ]);
    expect(problems.join('\n')).not.toMatch(/hunter2|s3cr3t/);
  });

  it('refuses half a DKIM or Twilio setup, naming what is missing', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (error) {
        return (error as ConfigError).problems;
      }
    };
    expect(problems({ DKIM_DOMAIN: 'example.com' })).toEqual(['DKIM_SELECTOR, DKIM_PRIVATE_KEY_FILE: required together with DKIM_DOMAIN']);
    expect(problems({ TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`, TWILIO_FROM: '+15005550006' })).toEqual([
      'TWILIO_AUTH_TOKEN: required together with TWILIO_ACCOUNT_SID, TWILIO_FROM',
    ]);
    expect(problems({ SMTP_URL: 'http://relay', WORKER_CONCURRENCY: '0', TWILIO_AUTH_TOKEN: 'short' })).toEqual(
      expect.arrayContaining([
        'SMTP_URL="http://relay": must be an smtp:// or smtps:// URL',
        'WORKER_CONCURRENCY="0": must be an integer between 1 and 200',
        expect.stringMatching(/^TWILIO_AUTH_TOKEN=<hidden, 5 characters>/),
      ]),
    );
  });

  it('accepts a phone region only when numbers can be read in it', () => {
    expect(loadConfig({ DEFAULT_PHONE_REGION: 'CN' }).DEFAULT_PHONE_REGION).toBe('CN');
    expect(problemsOf({ DEFAULT_PHONE_REGION: 'ZZ' })).toEqual(['DEFAULT_PHONE_REGION="ZZ": not a region with its own phone numbering plan']);
    expect(problemsOf({ DEFAULT_PHONE_REGION: 'China' })).toHaveLength(1);
  });

  it.each([
    ['JSON_BODY_LIMIT', '512kb', '512kb'],
    ['LOG_LEVEL', 'silent', 'silent'],
    ['NODE_ENV', 'test', 'test'],
    ['IMPORT_MAX_BYTES', '1048576', 1048576],
  ])('accepts %s=%s', (name, value, expected) => {
    expect(loadConfig({ [name]: value })[name as keyof AppConfig]).toBe(expected);
  });
});
