import { fork } from 'node:child_process';
import { join } from 'node:path';
import { portOf } from './sms-child';

export interface CountingSmtpSink {
  port: number;
  ask(command: 'count' | 'reset'): Promise<{ accepted: number; bytes: number }>;
  stop(): void;
}

/** Starts counting-smtp-sink.ts in its own process and talks to it over IPC. */
export async function startCountingSmtpSink(): Promise<CountingSmtpSink> {
  const child = fork(join(__dirname, 'counting-smtp-sink.ts'), [], { execArgv: ['-r', 'ts-node/register/transpile-only'], stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const port = await portOf(child);
  return {
    port,
    ask: (command) =>
      new Promise((resolve) => {
        child.once('message', (reply) => resolve(reply as { accepted: number; bytes: number }));
        child.send(command);
      }),
    stop: () => child.kill(),
  };
}
