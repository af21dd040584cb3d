// Enrolling a payer's members. The member's data is PHI: encrypted at rest exactly as a
// claim's member is, and found by the same blind index of the member id, so a claim and the
// enrolled member match without decrypting either. The ledger sees only the row id.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Member } from '../../generated/prisma/client.js';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import { Conflict, isUniqueViolation, NotFound } from '../../infra/errors.js';
import { blindIndex, decryptPhi, encryptPhi, type PhiKeys } from '../../infra/phi.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { payerOrgOf } from './access.js';
import type { MemberInput } from './schema.js';

export interface MemberView extends MemberInput {
  /** The member's row id: what coverages, prior authorizations and events refer to. */
  id: string;
  createdAt: string;
}

const MEMBER_INDEX_CONSTRAINT = 'members_payer_org_id_member_id_index_key';

export async function enrollMember(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  input: MemberInput,
): Promise<MemberView> {
  const payerOrgId = payerOrgOf(principal);
  const id = randomUUID();
  const createdAt = new Date();
  // The same index claims carry (intake.ts), computed from the member id exactly as sent.
  const memberIdIndex = blindIndex(phiKeys, input.memberId);
  const sealed = encryptPhi(phiKeys, JSON.stringify(input));
  // The payer's own row id is no secret to the payer, and it is what the caller needs.
  const enrolledAs = (rowId: string | undefined) =>
    new Conflict(`a member with this memberId is already enrolled with you as ${rowId}`);
  const enrolledRowId = async (queryable: Queryable) => {
    const { rows } = await queryable.query<{ id: string }>(
      'SELECT id FROM members WHERE payer_org_id = $1 AND member_id_index = $2',
      [payerOrgId, memberIdIndex],
    );
    return rows[0]?.id;
  };
  try {
    await inTransaction(database.pool, async (client) => {
      const earlier = await enrolledRowId(client);
      if (earlier) throw enrolledAs(earlier);
      await client.query(
        `INSERT INTO members (id, payer_org_id, member_id_index, member_ciphertext,
           phi_key_version, created_at)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, payerOrgId, memberIdIndex, sealed.ciphertext, sealed.version, createdAt],
      );
      await appendMemberEnrolled(client, payerOrgId, id, createdAt);
    });
  } catch (error) {
    // Two concurrent enrollments of one member: the unique index lets only one through.
    if (isUniqueViolation(error, MEMBER_INDEX_CONSTRAINT)) {
      throw enrolledAs(await enrolledRowId(database.pool));
    }
    throw error;
  }
  return { id, ...input, createdAt: createdAt.toISOString() };
}

async function appendMemberEnrolled(
  client: pg.PoolClient,
  payerOrgId: string,
  memberRowId: string,
  createdAt: Date,
): Promise<void> {
  await appendEvents(
    client,
    [
      {
        type: 'MemberEnrolled',
        aggregateId: memberRowId,
        actorOrgId: payerOrgId,
        // The row id only: no member id, name, birth date or blind index on the ledger.
        payload: { memberRowId, payerOrgId },
        partyOrgIds: [payerOrgId],
      },
    ],
    createdAt,
  );
}

function viewOf(phiKeys: PhiKeys, member: Member): MemberView {
  const data = JSON.parse(
    decryptPhi(phiKeys, { version: member.phiKeyVersion, ciphertext: member.memberCiphertext }),
  ) as MemberInput;
  return { id: member.id, ...data, createdAt: member.createdAt.toISOString() };
}

export async function getMember(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  memberRowId: string,
): Promise<MemberView> {
  const payerOrgId = payerOrgOf(principal);
  const member = await database.prisma.member.findFirst({ where: { id: memberRowId, payerOrgId } });
  if (!member) throw new NotFound('member');
  return viewOf(phiKeys, member);
}

/** Throws NotFound unless the member is the caller's: another payer's answers as missing. */
export async function requireOwnMember(
  database: Database,
  payerOrgId: string,
  memberRowId: string,
): Promise<void> {
  const member = await database.prisma.member.findFirst({
    where: { id: memberRowId, payerOrgId },
    select: { id: true },
  });
  if (!member) throw new NotFound('member');
}
