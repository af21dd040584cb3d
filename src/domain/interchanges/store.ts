// The x12_interchanges table: every 837P interchange received, its answer and acknowledgments.
// Only the submitting organization reads its rows (anyone else: not found).
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { z } from 'zod';
import type { Database, Queryable } from '../../infra/db.js';
import { NotFound } from '../../infra/errors.js';
import { cursorCodec, cursorKeyPart } from '../cursor.js';

/** The same interchange: one submitter, usage, sender and ISA13. */
export const SAME_INTERCHANGE_CONSTRAINT = 'x12_interchanges_same_interchange_key';

export interface InterchangeIdentity {
  submitterOrgId: string;
  senderQualifier: string;
  senderId: string;
  usageIndicator: 'P' | 'T';
  controlNumber: string;
}

export interface NewInterchange extends InterchangeIdentity {
  id: string;
  receiverQualifier: string;
  receiverId: string;
  receivedAt: Date;
  idempotency: { key: string; requestHash: string } | undefined;
  answerStatus: number;
  answerBody: string;
  acknowledgment999: string;
  acknowledgment277ca: string | null;
}

export type StoredInterchange = Omit<NewInterchange, 'idempotency'> & {
  idempotencyKey: string | null;
  requestHash: string | null;
};

export const newInterchangeId = (): string => randomUUID();

/**
 * The next ISA13/GS06 of an interchange we send in answer to one received: a 999, 277CA or TA1
 * of an 837P, a 271 of a 270. One sequence for all of them, since they go out under the ids the
 * received files addressed us by: no two answers share a control number until it comes round
 * after 999,999,999.
 */
export async function nextAnswerControlNumber(client: Queryable): Promise<number> {
  const { rows } = await client.query<{ value: string }>(
    `SELECT nextval('x12_answer_control_number_seq')::text AS value`,
  );
  return Number(rows[0]!.value);
}

export async function insertInterchange(
  client: pg.PoolClient | Queryable,
  row: NewInterchange,
): Promise<void> {
  await client.query(
    `INSERT INTO x12_interchanges (id, submitter_org_id, sender_qualifier, sender_id,
       receiver_qualifier, receiver_id, control_number, usage_indicator, received_at,
       idempotency_key, request_hash, answer_status, answer_body, acknowledgment_999,
       acknowledgment_277ca)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
    [
      row.id,
      row.submitterOrgId,
      row.senderQualifier,
      row.senderId,
      row.receiverQualifier,
      row.receiverId,
      row.controlNumber,
      row.usageIndicator,
      row.receivedAt,
      row.idempotency?.key ?? null,
      row.idempotency?.requestHash ?? null,
      row.answerStatus,
      row.answerBody,
      row.acknowledgment999,
      row.acknowledgment277ca,
    ],
  );
}

function storedOf(row: {
  id: string;
  submitterOrgId: string;
  senderQualifier: string;
  senderId: string;
  receiverQualifier: string;
  receiverId: string;
  controlNumber: string;
  usageIndicator: string;
  receivedAt: Date;
  idempotencyKey: string | null;
  requestHash: string | null;
  answerStatus: number;
  answerBody: string;
  acknowledgment999: string;
  acknowledgment277ca: string | null;
}): StoredInterchange {
  return { ...row, usageIndicator: row.usageIndicator === 'T' ? 'T' : 'P' };
}

/** The interchange already received with this identity, if any. */
export async function findSameInterchange(
  database: Database,
  identity: InterchangeIdentity,
): Promise<StoredInterchange | undefined> {
  const row = await database.prisma.x12Interchange.findFirst({
    where: identity,
  });
  return row ? storedOf(row) : undefined;
}

/** One of the submitter's interchanges; someone else's id is not found. */
export async function getInterchange(
  database: Database,
  submitterOrgId: string,
  id: string,
): Promise<StoredInterchange> {
  const row = await database.prisma.x12Interchange.findFirst({ where: { id, submitterOrgId } });
  if (!row) throw new NotFound('interchange');
  return storedOf(row);
}

const pageCursor = cursorCodec(
  z.strictObject({ receivedAt: cursorKeyPart.timestamp, id: cursorKeyPart.id }),
);

/** The submitter's interchanges, newest first, keyset-paginated on (receivedAt, id). */
export async function listInterchanges(
  database: Database,
  submitterOrgId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ rows: StoredInterchange[]; nextCursor: string | null }> {
  const after = pageCursor.decode(page.cursor);
  const rows = await database.prisma.x12Interchange.findMany({
    where: {
      submitterOrgId,
      ...(after
        ? {
            OR: [
              { receivedAt: { lt: new Date(after.receivedAt) } },
              { receivedAt: new Date(after.receivedAt), id: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }],
    take: page.limit + 1,
  });
  const result = pageCursor.page(rows.map(storedOf), page.limit, (row) => ({
    receivedAt: row.receivedAt.toISOString(),
    id: row.id,
  }));
  return { rows: result.rows, nextCursor: result.nextCursor };
}
