// A private redis-server the test owns, on a port of its own, with nothing persisted: the test
// can kill it and start it again empty, which the shared Redis must never be.
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './network.js';

/** How long a redis-server may take to say it accepts connections, on a busy machine. */
const READY_WITHIN_MS = 20_000;

function startProcess(port: number): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} not ready within ${READY_WITHIN_MS} ms`));
    }, READY_WITHIN_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      // Only the start is read; the rest of its output is drained and dropped.
      if (output.length > 100_000) return;
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server on port ${port} exited (${code}) before it was ready`));
    });
    child.on('error', reject);
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
}

export interface PrivateRedis {
  port: number;
  url: string;
  /** Kills the server: no shutdown, nothing saved. */
  kill(): Promise<void>;
  /** Starts a new, empty server on the same port. */
  start(): Promise<void>;
}

export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child = await startProcess(port);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => kill(child),
    async start() {
      await kill(child);
      child = await startProcess(port);
    },
  };
}
