// Witness cosignatures handed to the log (by `witness --follow`, or by anyone relaying one):
// POST /v1/ledger/checkpoints/:size/cosignatures { "cosignature": "— <name> <base64>\n" }.
// A cosignature proves itself: it is stored only when it verifies against the key of a witness
// configured for this log (LEDGER_WITNESSES_FILE), so who relays it does not matter.
import express from 'express';
import { z } from 'zod';
import { parseOrThrow, wholeNumberParameter } from '../domain/validation.js';
import type { Database } from '../infra/db.js';
import { InvalidInput } from '../infra/errors.js';
import { NoteFormatError, parseNote, type NoteSignature } from '../ledger/tlog/note.js';
import { addCosignature } from '../ledger/transparency-log.js';
import { cosignaturesOfLatest, NOTHING_COSIGNED } from '../ledger/witness-cosignatures.js';
import type { PolicyWitness } from '../witness/policy.js';
import { documentedRouter, type DocumentedRouter } from './routes.js';

/** One cosignature line per witness key; a witness with a few keys sends a few lines. */
const cosignatureLinesMax = 8;

const cosignatureBodySchema = z.strictObject({
  cosignature: z
    .string({ error: 'must be note signature lines ("— <name> <base64>")' })
    .min(1)
    .max(2_048, 'must be at most 2048 characters'),
});

const sizePath = z.object({ size: wholeNumberParameter(0, Number.MAX_SAFE_INTEGER) });

const witnessesSchema = z.object({
  latestTreeSize: z.number().int().min(0).nullable(),
  witnesses: z.array(
    z.object({
      name: z.string(),
      verifierKey: z.string(),
      cosignedTreeSize: z.number().int().min(0),
      cosignedAt: z.string().nullable(),
      eventsBehind: z.number().int().min(0),
    }),
  ),
});

export function witnessesRouter(
  database: Database,
  witnesses: readonly PolicyWitness[],
): DocumentedRouter {
  const router = documentedRouter('Ledger');
  router.route(
    {
      method: 'get',
      path: '/ledger/witnesses',
      summary: 'How far each witness of this log has cosigned',
      description:
        'For each witness in LEDGER_WITNESSES_FILE: the largest checkpoint it has cosigned, when ' +
        'its cosignature was stored, and how many events the latest checkpoint holds beyond it.',
      responses: { 200: { description: 'The witnesses', schema: witnessesSchema } },
    },
    async (_request, response) => {
      const latest = await cosignaturesOfLatest(
        database.pool,
        witnesses.map((witness) => witness.key),
      );
      response.set('Cache-Control', 'no-cache');
      response.json({
        latestTreeSize: latest?.latestSize ?? null,
        witnesses: witnesses.map((witness, position) => {
          const cosigned = latest?.cosigned[position] ?? NOTHING_COSIGNED;
          return {
            name: witness.name,
            verifierKey: witness.verifierKey,
            cosignedTreeSize: cosigned.treeSize,
            cosignedAt: cosigned.addedAt?.toISOString() ?? null,
            eventsBehind: Math.max(0, (latest?.latestSize ?? 0) - cosigned.treeSize),
          };
        }),
      } satisfies z.output<typeof witnessesSchema>);
    },
  );
  router.route(
    {
      method: 'post',
      path: '/ledger/checkpoints/:size/cosignatures',
      summary: "A witness's cosignature of the checkpoint of this tree size",
      description:
        'Stored only when it verifies against the key of a witness configured for this log ' +
        '(LEDGER_WITNESSES_FILE), so who relays it does not matter.',
      params: sizePath,
      body: cosignatureBodySchema,
      responses: { 201: { description: 'The witnesses whose cosignatures were stored' } },
    },
    express.json({ limit: '8kb' }),
    async (request, response) => {
      const { size } = parseOrThrow(sizePath, request.params, 'path');
      const body = parseOrThrow(cosignatureBodySchema, request.body, 'body');
      const lines = signatureLinesOf(body.cosignature);
      const added: string[] = [];
      for (const line of lines) {
        const witness = witnesses.find(
          (each) => each.key.keyName === line.keyName && each.key.keyId === line.keyId,
        );
        if (!witness) {
          throw new InvalidInput('unknown witness', [
            { field: 'cosignature', message: `${line.keyName} is not a witness of this log` },
          ]);
        }
        await addCosignature(database.pool, size, witness.key, line, new Date());
        added.push(witness.name);
      }
      response.status(201).json({ treeSize: size, cosignedBy: added });
    },
  );
  return router;
}

function signatureLinesOf(text: string): NoteSignature[] {
  const lines = text.endsWith('\n') ? text : `${text}\n`;
  let signatures: NoteSignature[];
  try {
    // The lines as they would follow a note's text: parseNote reads them, any text will do.
    signatures = parseNote(`cosignature\n\n${lines}`).signatures;
  } catch (error) {
    if (!(error instanceof NoteFormatError)) throw error;
    throw new InvalidInput('invalid cosignature', [
      { field: 'cosignature', message: error.message },
    ]);
  }
  if (signatures.length > cosignatureLinesMax) {
    throw new InvalidInput('invalid cosignature', [
      { field: 'cosignature', message: `at most ${cosignatureLinesMax} signature lines` },
    ]);
  }
  return signatures;
}
