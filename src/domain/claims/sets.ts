// Sets of claims that another area reads against its own tables in the same statement: the
// claims area says which claims (its SQL, on its tables), the reader wraps it with its own. A
// window of a payer's claims can be hundreds of thousands; as ids sent to Node.js and back it
// cost twice what the one statement costs (docs/performance.md, thirteenth session).

/**
 * A statement of the claims area yielding one row a claim, with `claim_id` (uuid) and whatever
 * else its producer documents; its parameters are $1.. in `values`, and a reader numbers its
 * own after them (paramAfter).
 */
export interface ClaimSet {
  sql: string;
  values: unknown[];
}

/** The placeholder of the reader's n-th own parameter (from 1), after the set's. */
export function paramAfter(set: ClaimSet, n: number): string {
  return `$${set.values.length + n}`;
}

/** These claims by id: `claim_id`. */
export function claimsById(claimIds: readonly string[]): ClaimSet {
  return { sql: 'SELECT claim_id FROM unnest($1::uuid[]) AS u(claim_id)', values: [claimIds] };
}

/**
 * The claims of a provider's or a payer's (`column`) submitted in [start, end): `claim_id`,
 * `grp` (the provider's id as text), `status` and `submitted_at`. Without the reversed ones
 * (voided, replaced) when `reversed` is false. Read from the (party, submitted_at, id) indexes.
 */
export function claimsSubmittedIn(
  column: 'provider_org_id' | 'payer_org_id',
  orgId: string,
  start: Date,
  end: Date,
  { reversed }: { reversed: boolean },
): ClaimSet {
  return {
    sql: `SELECT c.id AS claim_id, c.provider_org_id::text AS grp, c.status, c.submitted_at
            FROM claims c
           WHERE c.${column} = $1 AND c.submitted_at >= $2 AND c.submitted_at < $3
                 ${reversed ? '' : "AND c.status NOT IN ('voided', 'replaced')"}`,
    values: [orgId, start, end],
  };
}

/**
 * The payer's claims pended for a person: `claim_id`, `provider_org_id`, `total_charge_amount`
 * (text) and `submitted_at`.
 */
export function pendedClaimsOf(payerOrgId: string): ClaimSet {
  return {
    sql: `SELECT id AS claim_id, provider_org_id, total_charge_amount::text AS total_charge_amount,
                 submitted_at
            FROM claims WHERE payer_org_id = $1 AND status = 'pended'`,
    values: [payerOrgId],
  };
}
