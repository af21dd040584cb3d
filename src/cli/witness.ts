// `witness`: a participant's witness process (C2SP tlog-witness), serving add-checkpoint or,
// with --follow, pulling the log's checkpoints itself. `verify --policy`: the offline verdict.
import { mkdir, readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../infra/logger.js';
import { verifyEventProof } from '../ledger/proof.js';
import { parseVerifierKey, signatureTypeEd25519 } from '../ledger/tlog/note.js';
import { EvidenceFile } from '../witness/evidence.js';
import { follow } from '../witness/follow.js';
import {
  MirrorMismatch,
  updateMirror,
  verifyMirror,
  type MirrorOptions,
} from '../witness/mirror.js';
import { parseWitnessKey } from '../witness/keys.js';
import { parsePolicy, PolicyError } from '../witness/policy.js';
import { createWitnessServer, Witness } from '../witness/server.js';
import { loadWitnessState } from '../witness/state.js';
import { verifyTreeProof } from '../witness/verify-proof.js';
import type { WitnessedLog } from '../witness/witness.js';

export interface WitnessCommandOptions {
  keyFile?: string;
  log: string[];
  state: string;
  evidence?: string;
  evidenceBytesMax: string;
  listen: string;
  follow?: string;
  apiKey?: string;
  intervalMs: string;
}

export class WitnessSetupError extends Error {}

/** Runs until SIGINT/SIGTERM. The key comes from --key-file or WITNESS_KEY. */
export async function runWitness(options: WitnessCommandOptions): Promise<void> {
  const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
  const keyText =
    options.keyFile !== undefined
      ? await readFile(options.keyFile, 'utf8')
      : process.env.WITNESS_KEY;
  if (!keyText) throw new WitnessSetupError('a witness key is required: --key-file or WITNESS_KEY');
  const cosigner = parseWitnessKey(keyText);
  if (options.log.length === 0) throw new WitnessSetupError('name at least one log: --log <vkey>');
  const logs: WitnessedLog[] = options.log.map((vkey) => {
    const key = parseVerifierKey(vkey);
    if (key.signatureType !== signatureTypeEd25519) {
      throw new WitnessSetupError(`--log ${key.keyName}: the log key must be Ed25519 (type 0x01)`);
    }
    // As in Go's sumdb and the C2SP logs: the log's key name is its checkpoint origin.
    return { origin: key.keyName, keys: [key] };
  });
  const evidenceBytesMax = Number(options.evidenceBytesMax);
  if (!Number.isSafeInteger(evidenceBytesMax) || evidenceBytesMax < 1) {
    throw new WitnessSetupError('--evidence-bytes-max must be a positive number of bytes');
  }
  const witness = new Witness({
    logs,
    cosigner,
    stateFile: options.state,
    evidence: await EvidenceFile.open(
      options.evidence ?? `${options.state}.evidence.jsonl`,
      evidenceBytesMax,
    ),
    logger,
    state: await loadWitnessState(options.state),
  });
  const stop = new AbortController();
  const server = createWitnessServer(witness, logs);
  const [host, port] = splitListen(options.listen);
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address() as AddressInfo;
  const evidence = witness.evidenceStatus();
  logger.info(
    {
      url: `http://${address.address}:${address.port}`,
      verifierKey: cosigner.cosignerVerifierKey,
      evidenceFile: evidence.file,
      evidenceBytes: evidence.bytes,
      evidenceBytesMax: evidence.bytesMax,
      alarmsInEvidenceFile: evidence.alarmsInFile,
    },
    'witness listening',
  );
  const following = options.follow
    ? follow(
        witness,
        {
          logUrl: options.follow,
          apiKey: options.apiKey ?? process.env.CLAIMCHAIN_API_KEY,
          intervalMs: Number(options.intervalMs),
          logger,
        },
        stop.signal,
      )
    : Promise.resolve();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  stop.abort();
  await following;
  await new Promise((resolve) => server.close(resolve));
}

function splitListen(listen: string): [string, number] {
  const match = /^(.+):(\d{1,5})$/.exec(listen);
  if (!match || Number(match[2]) > 65_535) {
    throw new WitnessSetupError('--listen must be host:port, e.g. 127.0.0.1:3100');
  }
  return [match[1]!, Number(match[2])];
}

/** `verify --proof F --policy P`: the block proof and the tree proof, against the policy. */
export async function verifyProofWithPolicy(
  proofFile: string,
  policyFile: string,
): Promise<{ ok: boolean; message: string }> {
  let proof: unknown;
  let policy;
  try {
    proof = JSON.parse(await readFile(proofFile, 'utf8'));
  } catch (error) {
    return {
      ok: false,
      message: `cannot read proof file ${proofFile}: ${(error as Error).message}`,
    };
  }
  try {
    policy = parsePolicy(await readFile(policyFile, 'utf8'));
  } catch (error) {
    const reason = error instanceof PolicyError ? error.message : (error as Error).message;
    return { ok: false, message: `cannot use policy ${policyFile}: ${reason}` };
  }
  const block = verifyEventProof(proof);
  if (!block.ok) return { ok: false, message: `proof INVALID: ${block.reason}` };
  const tree = verifyTreeProof(proof, policy);
  if (!tree.ok) return { ok: false, message: `proof REJECTED by the policy: ${tree.reason}` };
  return {
    ok: true,
    message:
      `proof OK: the event is leaf ${tree.leafIndex} of the log's tree of size ${tree.treeSize}, ` +
      `signed by the log and cosigned by ${tree.cosignedBy.join(', ')} (quorum ${policy.quorum})`,
  };
}

export interface MirrorCommandOptions {
  url: string;
  dir: string;
  log: string;
  policy?: string;
  apiKey?: string;
  verifyOnly?: boolean;
}

/** `mirror`: update (or only verify) the local copy; a mismatch is a clear message, exit 1. */
export async function runMirror(
  options: MirrorCommandOptions,
): Promise<{ ok: boolean; message: string }> {
  await mkdir(options.dir, { recursive: true });
  const mirrorOptions: MirrorOptions = {
    logUrl: options.url,
    apiKey: options.apiKey ?? process.env.CLAIMCHAIN_API_KEY,
    directory: options.dir,
    logKey: parseVerifierKey(options.log),
    ...(options.policy ? { policy: parsePolicy(await readFile(options.policy, 'utf8')) } : {}),
  };
  try {
    if (options.verifyOnly) {
      const { checkpoint } = await verifyMirror(mirrorOptions);
      return {
        ok: true,
        message: `mirror OK: ${checkpoint?.treeSize ?? 0} leaves match the saved signed checkpoint`,
      };
    }
    const result = await updateMirror(mirrorOptions);
    return {
      ok: true,
      message:
        `mirror OK: ${result.treeSize} leaves (${result.leavesFetched} fetched), ` +
        `${result.checkpointsChecked} signed checkpoints rebuilt and matched`,
    };
  } catch (error) {
    if (error instanceof MirrorMismatch)
      return { ok: false, message: `mirror MISMATCH: ${error.message}` };
    throw error;
  }
}

export type { Logger };
