// Who a claim, or an eligibility inquiry, is for. A claim names the subscriber (its member id, by
// blind index) and, for a dependent, the patient (by patient index: names and birth date,
// dependents.ts); the patient is that dependent of the subscriber. Adjudication finds a whole
// batch's patients with one statement; eligibility finds the member asked about the same way.
import type { Queryable } from '../../infra/db.js';

export interface ClaimPatient {
  /** The member row the claim is for: the subscriber, or one of its dependents. */
  memberRowId: string;
  /** The row of the family's subscriber (the patient's own row when it is the subscriber). */
  familyRowId: string;
}

/**
 * The member a claim is for, or undefined when the payer does not know them: no member with the
 * subscriber's id, or no dependent of that subscriber with the patient's names and birth date.
 */
export async function findClaimPatient(
  client: Queryable,
  claim: ClaimPatientQuery,
): Promise<ClaimPatient | undefined> {
  return (await findClaimPatients(client, [claim]))[0];
}

export interface ClaimPatientQuery {
  payer_org_id: string;
  member_id_index: string;
  patient_index: string | null;
}

/** findClaimPatient for many claims in one statement (adjudication's batches), in their order. */
export async function findClaimPatients(
  client: Queryable,
  claims: readonly ClaimPatientQuery[],
): Promise<(ClaimPatient | undefined)[]> {
  const { rows } = await client.query<{
    position: string;
    id: string;
    subscriber_member_id: string | null;
  }>(
    `SELECT k.position, m.id, m.subscriber_member_id
       FROM unnest($1::uuid[], $2::char(64)[], $3::char(64)[]) WITH ORDINALITY
              AS k(payer_org_id, member_id_index, patient_index, position)
       CROSS JOIN LATERAL (
         SELECT s.id, s.subscriber_member_id FROM members s
          WHERE k.patient_index IS NULL
            AND s.payer_org_id = k.payer_org_id AND s.member_id_index = k.member_id_index
         UNION ALL
         SELECT d.id, d.subscriber_member_id FROM members s
           JOIN members d ON d.subscriber_member_id = s.id AND d.patient_index = k.patient_index
          WHERE k.patient_index IS NOT NULL
            AND s.payer_org_id = k.payer_org_id AND s.member_id_index = k.member_id_index
         LIMIT 1
       ) m`,
    [
      claims.map((claim) => claim.payer_org_id),
      claims.map((claim) => claim.member_id_index),
      claims.map((claim) => claim.patient_index),
    ],
  );
  const patients: (ClaimPatient | undefined)[] = claims.map(() => undefined);
  for (const row of rows) {
    patients[Number(row.position) - 1] = {
      memberRowId: row.id,
      familyRowId: row.subscriber_member_id ?? row.id,
    };
  }
  return patients;
}
