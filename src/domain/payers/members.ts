// Enrolling a payer's members. The member's data is PHI: encrypted at rest exactly as a
// claim's member is, and found by the same blind index of the member id, so a claim and the
// enrolled member match without decrypting either. The ledger sees only the row id.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { Member } from '../../generated/prisma/client.js';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import { Conflict, InvalidInput, isUniqueViolation, NotFound } from '../../infra/errors.js';
import { blindIndex, decryptPhi, encryptPhi, type PhiKeys } from '../../infra/phi.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { payerOrgOf } from './access.js';
import { DEPENDENTS_MAX, patientIndexOf } from './dependents.js';
import type { MemberInput } from './schema.js';

/** "18" self (a subscriber); a dependent's "01" spouse, "19" child, "G8" other. */
export type RelationshipCode = '18' | '01' | '19' | 'G8';

/** A subscriber, or a dependent naming its subscriber's row id. */
export type MemberEnrollment = MemberInput & {
  subscriberMemberId?: string | undefined;
  relationshipCode?: RelationshipCode | undefined;
};

export interface MemberView extends MemberInput {
  /** The member's row id: what coverages, prior authorizations and events refer to. */
  id: string;
  /** The subscriber's row id for a dependent; null for a subscriber. */
  subscriberMemberId: string | null;
  relationshipCode: RelationshipCode;
  createdAt: string;
}

const MEMBER_INDEX_CONSTRAINT = 'members_payer_org_id_member_id_index_key';

export async function enrollMember(
  database: Database,
  phiKeys: PhiKeys,
  principal: Principal,
  enrollment: MemberEnrollment,
): Promise<MemberView> {
  const payerOrgId = payerOrgOf(principal);
  const id = randomUUID();
  const createdAt = new Date();
  const { subscriberMemberId, relationshipCode = '18', ...input } = enrollment;
  // The same index claims carry (intake.ts), computed from the member id exactly as sent.
  const memberIdIndex = blindIndex(phiKeys, input.memberId);
  const patientIndex = subscriberMemberId === undefined ? null : patientIndexOf(phiKeys, input);
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
      if (subscriberMemberId !== undefined) {
        await checkDependent(client, payerOrgId, subscriberMemberId, patientIndex!);
      }
      await client.query(
        `INSERT INTO members (id, payer_org_id, member_id_index, member_ciphertext,
           phi_key_version, created_at, subscriber_member_id, relationship_code, patient_index)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          id,
          payerOrgId,
          memberIdIndex,
          sealed.ciphertext,
          sealed.version,
          createdAt,
          subscriberMemberId ?? null,
          relationshipCode,
          patientIndex,
        ],
      );
      await appendMemberEnrolled(client, payerOrgId, id, createdAt, {
        subscriberMemberRowId: subscriberMemberId ?? null,
        relationshipCode,
      });
    });
  } catch (error) {
    // Two concurrent enrollments of one member: the unique index lets only one through.
    if (isUniqueViolation(error, MEMBER_INDEX_CONSTRAINT)) {
      throw enrolledAs(await enrolledRowId(database.pool));
    }
    throw error;
  }
  return {
    id,
    ...input,
    subscriberMemberId: subscriberMemberId ?? null,
    relationshipCode,
    createdAt: createdAt.toISOString(),
  };
}

/**
 * A dependent's subscriber is the payer's own subscriber (not a dependent itself), with fewer
 * than DEPENDENTS_MAX dependents, none with the same names and birth date (a claim could not
 * tell them apart). The subscriber's row is locked, so two enrollments of one family queue.
 */
async function checkDependent(
  client: pg.PoolClient,
  payerOrgId: string,
  subscriberMemberId: string,
  patientIndex: string,
): Promise<void> {
  const { rows } = await client.query<{ subscriber_member_id: string | null }>(
    'SELECT subscriber_member_id FROM members WHERE id = $1 AND payer_org_id = $2 FOR UPDATE',
    [subscriberMemberId, payerOrgId],
  );
  const subscriber = rows[0];
  const problem = (message: string) =>
    new InvalidInput('invalid member', [{ field: 'subscriberMemberId', message }]);
  if (!subscriber) throw problem('no member of yours has this id');
  if (subscriber.subscriber_member_id !== null) {
    throw problem('names a dependent; a dependent belongs to a subscriber (relationship "18")');
  }
  const { rows: dependents } = await client.query<{ id: string; patient_index: string }>(
    'SELECT id, patient_index FROM members WHERE subscriber_member_id = $1',
    [subscriberMemberId],
  );
  if (dependents.length >= DEPENDENTS_MAX) {
    throw problem(`the subscriber already has ${DEPENDENTS_MAX} dependents, the most allowed`);
  }
  const twin = dependents.find((dependent) => dependent.patient_index === patientIndex);
  if (twin) {
    throw new Conflict(
      `the subscriber already has a dependent with these names and birth date: ${twin.id}`,
    );
  }
}

async function appendMemberEnrolled(
  client: pg.PoolClient,
  payerOrgId: string,
  memberRowId: string,
  createdAt: Date,
  family: { subscriberMemberRowId: string | null; relationshipCode: RelationshipCode },
): Promise<void> {
  await appendEvents(
    client,
    [
      {
        type: 'MemberEnrolled',
        aggregateId: memberRowId,
        actorOrgId: payerOrgId,
        // The row id only: no member id, name, birth date or blind index on the ledger.
        payload: { memberRowId, payerOrgId, ...family },
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
  return {
    id: member.id,
    ...data,
    subscriberMemberId: member.subscriberMemberId,
    relationshipCode: member.relationshipCode as RelationshipCode,
    createdAt: member.createdAt.toISOString(),
  };
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
