// `verify`: checks the whole chain from the database, or one saved proof file offline.
import { readFile } from 'node:fs/promises';
import cliProgress from 'cli-progress';
import { verifyEventProof } from '../ledger/proof.js';
import { verifyChain, type VerifyReport } from '../ledger/verify.js';
import type { Runtime } from './runtime.js';

export async function verifyChainCommand(
  runtime: Runtime,
  showProgress: boolean,
): Promise<VerifyReport> {
  const bar = showProgress
    ? new cliProgress.SingleBar(
        {
          format: 'verify [{bar}] {percentage}% | {value}/{total} events | {eta_formatted} left',
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  const report = await verifyChain(runtime.database.pool, ({ eventsChecked, eventsTotal }) => {
    if (!bar) return;
    if (!started) bar.start(eventsTotal, 0);
    started = true;
    bar.update(eventsChecked);
  });
  bar?.stop();
  return report;
}

/** Said after the verdict when the payload column is no longer generated from the hashed text. */
export const PAYLOAD_JSON_NOT_GENERATED_WARNING =
  'WARNING: ledger_events.payload is no longer generated from the hashed text (its expression ' +
  'was dropped, which only changing the JSON alone calls for): every event was compared instead';

export function describeReport(report: VerifyReport): string {
  const warning =
    report.payloadJson === 'compared' ? `\n${PAYLOAD_JSON_NOT_GENERATED_WARNING}` : '';
  if (report.ok) {
    return `chain OK: ${report.blocksChecked} blocks, ${report.eventsChecked} events verified; ${report.unsealedEvents} events waiting to be sealed${warning}`;
  }
  const failure = report.failure!;
  const event = failure.eventSeq
    ? ` event seq ${failure.eventSeq}${failure.eventId ? ` (id ${failure.eventId})` : ''}`
    : '';
  return `chain BROKEN at block ${failure.height}${event}: ${failure.reason}${warning}`;
}

export async function verifyProofFile(file: string): Promise<{ ok: boolean; message: string }> {
  let proof: unknown;
  try {
    proof = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return { ok: false, message: `cannot read proof file ${file}: ${(error as Error).message}` };
  }
  const result = verifyEventProof(proof);
  return result.ok
    ? { ok: true, message: `proof OK: the event is in the block whose hash is in the file` }
    : { ok: false, message: `proof INVALID: ${result.reason}` };
}
