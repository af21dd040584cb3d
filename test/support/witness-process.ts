// A witness as its own process (`claimchain witness`), for the tests that run several against a
// real log: started, killed (SIGKILL, no cleanup) and restarted on its state file.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface WitnessProcess {
  child: ChildProcess;
  url: string;
  /** Everything it logged so far (JSON lines). */
  output: () => string;
  kill(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export async function startWitness(options: {
  keyFile: string;
  logVerifierKey: string;
  stateFile: string;
  port: number;
  extraArgs?: string[];
}): Promise<WitnessProcess> {
  const args = [
    '--import',
    'tsx',
    'src/cli/main.ts',
    'witness',
    '--key-file',
    options.keyFile,
    '--log',
    options.logVerifierKey,
    '--state',
    options.stateFile,
    '--listen',
    `127.0.0.1:${options.port}`,
    ...(options.extraArgs ?? []),
  ];
  // node itself, not npx, so that SIGKILL reaches the witness.
  const child = spawn(process.execPath, args, {
    env: { ...process.env, LOG_LEVEL: 'debug' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`witness did not start:\n${output}`)), 30_000);
    const check = () => {
      if (output.includes('"msg":"witness listening"')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`witness exited with ${code}:\n${output}`));
    });
  });
  child.removeAllListeners('exit');
  return {
    child,
    url: `http://127.0.0.1:${options.port}`,
    output: () => output,
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}
