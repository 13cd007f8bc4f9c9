/**
 * An SMTP server that only counts, run as its own process so the benchmark's sender and sink never
 * share a core's event loop. Prints `PORT <n>` when listening; answers IPC `count` with the number
 * of messages accepted and `reset` by starting again from zero.
 */
import { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

let accepted = 0;
let bytes = 0;
const server = new SMTPServer({
  logger: false,
  secure: false,
  authOptional: true,
  disabledCommands: ['STARTTLS', 'AUTH'],
  disableReverseLookup: true,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('end', () => {
      accepted++;
      callback();
    });
  },
});
server.on('error', () => undefined);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PORT ${(server.server.address() as AddressInfo).port}\n`);
});
process.on('message', (message: string) => {
  if (message === 'count') process.send?.({ accepted, bytes });
  if (message === 'reset') {
    accepted = 0;
    bytes = 0;
    process.send?.({ accepted, bytes });
  }
});
process.on('disconnect', () => process.exit(0));
