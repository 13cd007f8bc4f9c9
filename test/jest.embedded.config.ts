import type { Config } from 'jest';

/** The embedded default (PGlite) on its own: no DATABASE_URL anywhere. */
const config: Config = {
  rootDir: '..',
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  moduleFileExtensions: ['ts', 'js', 'json'],
  testMatch: ['<rootDir>/test/embedded/**/*.spec.ts'],
  testTimeout: 120_000,
  maxWorkers: 1,
};

export default config;
