// Batched adjudication: the one way claims are decided automatically, a single claim being a
// batch of one. In one transaction: take up to N submitted claims (oldest first, SKIP LOCKED, so
// concurrent workers take disjoint claims); read everything the engine needs with a few
// set-based statements; lock the family accumulator rows, then the member rows, then the prior
// authorizations, each in key order (the one lock order of all adjudication, so concurrent
// transactions queue instead of deadlocking); decide every claim with the pure engine in
// submission order, each seeing the accumulators, authorization units and paid lines the ones
// before it left; write it all with multi-row statements, the ledger events last.
//
// Replacements and voids reverse their original with reverseOriginal, which reads and writes the
// database: the decisions made so far are written first and the in-memory state is read again
// afterwards, so it stays exact. Their events, and the reversals', wait in memory: every event of
// the batch is appended at the end, in the order it was made, so the batch never waits for a row
// while holding the ledger's lock (a batch that did deadlocked with one holding the accounts).
import { setImmediate as nextTurn } from 'node:timers/promises';
import type pg from 'pg';
import { inTransaction, type Database } from '../../infra/db.js';
import {
  findPaidClaimLines,
  readLinesOf,
  takeSubmittedClaims,
  type PaidLinesQuestion,
} from '../claims/index.js';
import {
  type AuthorizationHolder,
  authorizationHolderKey,
  type ClaimPatient,
  type FeeScheduleTerms,
  findClaimPatients,
  lockAuthorizationsOfHolders,
  moveAuthorizationUnits,
  payerConfigurationCacheOf,
  type PayerConfigurationCache,
  readAppliedCoveragesOf,
} from '../payers/index.js';
import { adjudicate, lineKeyOf, planYearOf } from './engine.js';
import {
  accumulatorKeyText,
  lockAccumulatorRows,
  saveAccumulatorRows,
  type AccumulatorKey,
} from './family.js';
import { reverseOriginal } from './reversal.js';
import {
  NO_PLAN,
  coordinationOf,
  earliestServiceDate,
  planIdFor,
  toEngineLine,
  type ClaimRow,
  type LineRow,
  type StoredCoverage,
} from './stored-claim.js';
import type {
  Accumulators,
  AdjudicationResult,
  Plan,
  PayerRules,
  PriorAuthorization,
} from './types.js';
import {
  appendInOrder,
  DecisionWrites,
  type AdjudicationOutcome,
  type EventsToAppend,
} from './writes.js';

/**
 * Claims decided between two turns of the event loop. Deciding 500 claims is ~50 ms of CPU; the
 * batches running beside this one (ADJUDICATION_BATCHES_IN_PARALLEL) would wait that long for
 * their query results to be handled, so their next statements start late and PostgreSQL idles.
 */
const CLAIMS_PER_TURN = 50;

/** Claims one batch may take at most, whatever the configuration asks. */
export const BATCH_CLAIMS_MAX = 5_000;

/** Which claims a batch takes: the oldest submitted ones, or one claim by id. */
export type BatchSelection =
  | {
      claimsMax: number;
      /**
       * Only the claims of this share of the members (by a hash of the subscriber's member id
       * index): batches deciding at once over disjoint shares never wait on each other's
       * accumulator rows. A member's claims, dependents' included, are all in one share.
       */
      share?: { index: number; count: number };
    }
  | { claimId: string };

export interface BatchResult {
  /** Each claim taken, in submission order, with what became of it. */
  outcomes: { claimId: string; outcome: AdjudicationOutcome }[];
}

/**
 * Decides the selected submitted claims in one transaction. `taken` receives the ids of the
 * claims locked, as soon as they are, so that a caller whose batch throws can decide them one by
 * one. A claim already decided or locked by another worker is not taken.
 */
export async function adjudicateBatch(
  database: Database,
  selection: BatchSelection,
  taken: string[] = [],
): Promise<BatchResult> {
  return inTransaction(database.pool, async (client) => {
    const claims = await lockSubmittedClaims(client, selection);
    taken.push(...claims.map((claim) => claim.id));
    if (claims.length === 0) return { outcomes: [] };
    const contexts = await readContexts(client, claims, payerConfigurationCacheOf(database));
    const state = await BatchState.lock(client, claims, contexts);
    const outcomes: BatchResult['outcomes'] = [];
    const ended = new Set<string>();
    const events: EventsToAppend[] = [];
    let writes = new DecisionWrites();
    for (const [index, claim] of claims.entries()) {
      if (index > 0 && index % CLAIMS_PER_TURN === 0) await nextTurn();
      if (ended.has(claim.id)) {
        // Replaced or voided by a later claim of this batch before its turn came.
        outcomes.push({ claimId: claim.id, outcome: { status: 'skipped' } });
        continue;
      }
      if (claim.original_claim_id !== null) {
        events.push(await state.write(client, writes));
        writes = new DecisionWrites();
        const reversal = await reverseOriginal(
          client,
          { ...claim, original_claim_id: claim.original_claim_id },
          events,
        );
        if (reversal.kind === 'already-ended') {
          const reason = `the original claim ${reversal.originalClaimId} is already ${reversal.originalStatus}`;
          const pend: AdjudicationResult = { outcome: 'pend', pendReasons: [reason] };
          outcomes.push({
            claimId: claim.id,
            outcome: writes.addDecision(claim, pend, {}, 'auto'),
          });
          continue;
        }
        ended.add(reversal.originalClaimId);
        await state.reload(client);
        if (claim.frequency_code === '8') {
          const recoupment = reversal.kind === 'reversed' ? reversal.recoupmentAmount : '0.00';
          const outcome = writes.addVoid(claim, reversal.originalClaimId, recoupment);
          outcomes.push({ claimId: claim.id, outcome });
          continue;
        }
      }
      const context = contexts.get(claim.id)!;
      const { result, versions } = state.decide(claim, context);
      outcomes.push({
        claimId: claim.id,
        outcome: writes.addDecision(claim, result, versions, 'auto'),
      });
    }
    events.push(await state.write(client, writes));
    await appendInOrder(client, events);
    return { outcomes };
  });
}

/**
 * Takes the selected submitted claims through the claims area, each locked as it is read (SKIP
 * LOCKED: a claim another worker is deciding right now is simply not ours to decide); the
 * claims of a share come from the claims area's cursor (SUBMITTED_CLAIMS_PICK), oldest first.
 */
async function lockSubmittedClaims(
  client: pg.PoolClient,
  selection: BatchSelection,
): Promise<ClaimRow[]> {
  if ('claimId' in selection) return takeSubmittedClaims(client, selection);
  return takeSubmittedClaims(client, {
    limit: Math.min(selection.claimsMax, BATCH_CLAIMS_MAX),
    share: selection.share ?? { index: 0, count: 1 },
  });
}

/** Everything about one claim that no other claim of the batch changes. */
interface ClaimContext {
  lines: LineRow[];
  patient: ClaimPatient | undefined;
  coverages: StoredCoverage[];
  plan: Plan;
  planVersion: { id: string; version: number } | null;
  planYear: string;
  feeSchedule: FeeScheduleTerms;
  rules: { rules: PayerRules; version: number | null };
  /** Its member's accumulator row and its family's; absent without a patient or a plan. */
  memberKey: AccumulatorKey | undefined;
  familyKey: AccumulatorKey | undefined;
  /** Whose authorizations it may draw on; absent without a patient. */
  holder: AuthorizationHolder | undefined;
}

/**
 * Reads what every claim but voids (which only reverse) is decided on, in a few statements: its
 * lines, patient and coverages, and its payer's configuration (from the cache while the payer's
 * configuration version holds).
 */
async function readContexts(
  client: pg.PoolClient,
  claims: ClaimRow[],
  configurationCache: PayerConfigurationCache,
): Promise<Map<string, ClaimContext>> {
  const deciding = claims.filter((claim) => claim.frequency_code !== '8');
  const linesOf = await readLinesOf(
    client,
    deciding.map((claim) => claim.id),
  );
  const patients = await findClaimPatients(client, deciding);
  const known = patients.filter((patient): patient is ClaimPatient => patient !== undefined);
  const coveragesOf = await readAppliedCoveragesOf(client, known);
  const chosen = deciding.map((claim, index) => {
    const lines = linesOf.get(claim.id) ?? [];
    const patient = patients[index];
    const coverages = (patient ? (coveragesOf.get(patient.memberRowId) ?? []) : []).map(
      ({ id, version, planId, effectiveFrom, effectiveTo }) => ({
        id,
        version,
        coverage: { planId, effectiveFrom, effectiveTo },
      }),
    );
    return { claim, lines, patient, coverages, planId: planIdFor(coverages, lines) };
  });
  const configurations = await configurationCache.configurationsOf(
    client,
    deciding.map((claim) => claim.payer_org_id),
  );
  const contexts = new Map<string, ClaimContext>();
  for (const { claim, lines, patient, coverages, planId } of chosen) {
    const configuration = configurations.get(claim.payer_org_id)!;
    const terms = planId ? configuration.plans.get(planId)! : { plan: NO_PLAN, version: null };
    const planYear = planYearOf(earliestServiceDate(lines), terms.plan.planYearStartMonth);
    const planned = patient !== undefined && terms.plan.planId !== NO_PLAN.planId;
    const accumulatorKey = (ownerRowId: string) => ({
      ownerRowId,
      planId: terms.plan.planId,
      planYear,
    });
    contexts.set(claim.id, {
      lines,
      patient,
      coverages,
      plan: terms.plan,
      planVersion: terms.version,
      planYear,
      feeSchedule: configuration.feeSchedule.termsOf(lines.map((line) => line.procedure_code)),
      rules: configuration.rules,
      memberKey: planned ? accumulatorKey(patient.memberRowId) : undefined,
      familyKey: planned ? accumulatorKey(patient.familyRowId) : undefined,
      holder: patient && {
        memberRowId: patient.memberRowId,
        providerOrgId: claim.provider_org_id,
        payerOrgId: claim.payer_org_id,
      },
    });
  }
  return contexts;
}

/** The key of the claims whose paid lines a claim's lines may duplicate. */
const paidLinesKeyOf = (
  claim: Pick<ClaimRow, 'provider_org_id' | 'payer_org_id' | 'member_id_index' | 'patient_index'>,
) =>
  `${claim.provider_org_id}|${claim.payer_org_id}|${claim.member_id_index}|${claim.patient_index ?? ''}`;

/**
 * What decisions move, for every claim of the batch: accumulators (family and member), prior
 * authorizations' used units and the line keys of paid claims, locked where they are rows. Each
 * decision reads it and leaves its changes in it; `write` stores what changed.
 */
class BatchState {
  private dirtyFamily = new Set<string>();
  private dirtyMember = new Set<string>();
  private unitsDrawn: { authorizationId: string; units: number }[] = [];

  private constructor(
    private readonly claims: ClaimRow[],
    private readonly contexts: Map<string, ClaimContext>,
    private family: Map<string, Accumulators>,
    private member: Map<string, Accumulators>,
    private authorizations: Map<string, PriorAuthorization[]>,
    private paidLineKeys: Map<string, Set<string>>,
  ) {}

  /** Locks family rows, then member rows, then authorizations, and reads paid lines after. */
  static async lock(
    client: pg.PoolClient,
    claims: ClaimRow[],
    contexts: Map<string, ClaimContext>,
  ): Promise<BatchState> {
    const all = [...contexts.values()];
    const family = await lockAccumulatorRows(client, 'family', uniqueKeys(all, 'familyKey'));
    const member = await lockAccumulatorRows(client, 'member', uniqueKeys(all, 'memberKey'));
    const holders = new Map(
      all.flatMap(({ holder }) => (holder ? [[authorizationHolderKey(holder), holder]] : [])),
    );
    const authorizations = await lockAuthorizationsOfHolders(client, [...holders.values()]);
    // Only now: a claim another worker decided before we got the locks counts as paid.
    const paid = await readPaidLineKeys(
      client,
      claims.flatMap((claim) => {
        const context = contexts.get(claim.id);
        return context?.patient ? [{ claim, lines: context.lines }] : [];
      }),
    );
    return new BatchState(claims, contexts, family, member, authorizations, paid);
  }

  /** Reads the locked rows again (after a reversal changed them in the database). */
  async reload(client: pg.PoolClient): Promise<void> {
    const fresh = await BatchState.lock(client, this.claims, this.contexts);
    this.family = fresh.family;
    this.member = fresh.member;
    this.authorizations = fresh.authorizations;
    this.paidLineKeys = fresh.paidLineKeys;
  }

  /** Decides one claim with the engine from the current state, and moves the state. */
  decide(claim: ClaimRow, context: ClaimContext) {
    const { patient, memberKey, familyKey, holder } = context;
    const zero = {
      planYear: context.planYear,
      deductibleMetAmount: '0.00',
      outOfPocketMetAmount: '0.00',
    };
    const familyAccumulators = familyKey && this.family.get(accumulatorKeyText(familyKey))!;
    const authorizations = holder
      ? (this.authorizations.get(authorizationHolderKey(holder)) ?? [])
      : [];
    const paidKey = paidLinesKeyOf(claim);
    const result = adjudicate({
      claim: {
        receivedDate: claim.received_date,
        lines: context.lines.map(toEngineLine),
        ...coordinationOf(claim),
      },
      previouslyAdjudicatedLineKeys: patient
        ? (this.paidLineKeys.get(paidKey) ?? new Set())
        : new Set(),
      plan: context.plan,
      coverages: context.coverages.map(({ coverage }) => coverage),
      feeSchedule: context.feeSchedule.entries,
      priorAuthorizations: authorizations.map((authorization) => ({ ...authorization })),
      accumulators: memberKey ? this.member.get(accumulatorKeyText(memberKey))! : zero,
      ...(familyAccumulators ? { familyAccumulators } : {}),
      payerRules: context.rules.rules,
    });
    const versions = {
      plan: context.planVersion,
      coverages: context.coverages.map(({ id, version }) => ({ id, version })),
      payerRules: context.rules.version,
      feeSchedule: context.feeSchedule.versions,
    };
    if (result.outcome === 'decided' && patient) {
      if (familyKey && result.familyAccumulatorsAfter) {
        this.family.set(accumulatorKeyText(familyKey), result.familyAccumulatorsAfter);
        this.dirtyFamily.add(accumulatorKeyText(familyKey));
      }
      if (memberKey && result.planId !== NO_PLAN.planId) {
        this.member.set(accumulatorKeyText(memberKey), result.accumulatorsAfter);
        this.dirtyMember.add(accumulatorKeyText(memberKey));
      }
      this.drawUnits(authorizations, result.priorAuthorizationUnitsUsed);
      if (result.status !== 'denied') {
        const keys = this.paidLineKeys.get(paidKey) ?? new Set<string>();
        for (const line of result.lines.filter((decided) => !decided.denied)) {
          const stored = context.lines.find((row) => row.line_number === line.lineNumber)!;
          keys.add(lineKeyOf(toEngineLine(stored)));
        }
        this.paidLineKeys.set(paidKey, keys);
      }
    }
    return { result, versions };
  }

  private drawUnits(
    authorizations: PriorAuthorization[],
    uses: readonly { authorizationId: string; units: number }[],
  ): void {
    for (const use of uses) {
      const authorization = authorizations.find(
        (held) => held.authorizationId === use.authorizationId,
      );
      if (authorization) authorization.unitsUsed += use.units;
      this.unitsDrawn.push(use);
    }
  }

  /** Stores what the decisions so far changed, then the decisions; gives back their events. */
  async write(client: pg.PoolClient, writes: DecisionWrites): Promise<EventsToAppend> {
    const changed = (level: Map<string, Accumulators>, dirty: Set<string>) =>
      [...dirty].sort().map((text) => {
        const [ownerRowId, planId, planYear] = text.split('|') as [string, string, string];
        return { key: { ownerRowId, planId, planYear }, accumulators: level.get(text)! };
      });
    await saveAccumulatorRows(client, 'family', changed(this.family, this.dirtyFamily));
    await saveAccumulatorRows(client, 'member', changed(this.member, this.dirtyMember));
    await moveAuthorizationUnits(client, this.unitsDrawn, 1);
    this.dirtyFamily = new Set();
    this.dirtyMember = new Set();
    this.unitsDrawn = [];
    return writes.writeAllButEvents(client);
  }
}

function uniqueKeys(contexts: ClaimContext[], level: 'familyKey' | 'memberKey'): AccumulatorKey[] {
  const keys = new Map<string, AccumulatorKey>();
  for (const context of contexts) {
    const key = context[level];
    if (key) keys.set(accumulatorKeyText(key), key);
  }
  return [...keys.values()];
}

/**
 * Line keys of the earlier claims (same provider, payer, member and patient) that were paid,
 * in whole or in part, and not denied line by line: what the engine calls duplicates (CO-18).
 * The claims area finds the candidate lines, of claims in a paid status on the codes and dates
 * the batch bills, for all of the batch in one statement (findPaidClaimLines: only the member's
 * lines on those dates, from the index on member blind index and service date); this area keeps
 * those its latest decision did not deny, in one more statement, and only when there are any.
 */
async function readPaidLineKeys(
  client: pg.PoolClient,
  claims: { claim: ClaimRow; lines: LineRow[] }[],
): Promise<Map<string, Set<string>>> {
  const groups = new Map<string, { claim: ClaimRow; codes: Set<string>; dates: Set<string> }>();
  for (const { claim, lines } of claims) {
    const key = paidLinesKeyOf(claim);
    const group = groups.get(key) ?? { claim, codes: new Set(), dates: new Set() };
    for (const line of lines) {
      group.codes.add(line.procedure_code);
      group.dates.add(line.service_date);
    }
    groups.set(key, group);
  }
  const wanted = [...groups.values()];
  const questions: PaidLinesQuestion[] = wanted.map(({ claim, codes, dates }) => ({
    providerOrgId: claim.provider_org_id,
    payerOrgId: claim.payer_org_id,
    memberIdIndex: claim.member_id_index,
    patientIndex: claim.patient_index,
    procedureCodes: [...codes],
    serviceDates: [...dates],
  }));
  const candidates = await findPaidClaimLines(client, questions);
  const keys = new Map<string, Set<string>>();
  if (candidates.length === 0) return keys;
  const notDenied = await notDeniedLines(client, candidates);
  for (const line of candidates) {
    if (!notDenied.has(`${line.claim_id}|${line.line_number}`)) continue;
    const group = paidLinesKeyOf(wanted[line.question]!.claim);
    const set = keys.get(group) ?? new Set<string>();
    set.add(
      lineKeyOf({
        procedureCode: line.procedure_code,
        modifiers: line.modifiers ?? [],
        serviceDate: line.service_date,
      }),
    );
    keys.set(group, set);
  }
  return keys;
}

/**
 * Of the line numbers $2[i] (joined by commas) of claim $1[i], those its latest decision did not
 * deny. Each claim's latest decision is one probe of the decisions' claim index, whatever the
 * statistics say (a lateral subquery with LIMIT is neither flattened nor given the outer
 * conditions), and only the line numbers asked about are read from it. Latest in the one order
 * of decisions.ts's latestOfEachClaim (ties by id).
 */
export const NOT_DENIED_LINES_SQL = `
  SELECT k.claim_id, (decided->>'lineNumber')::int AS line_number
    FROM unnest($1::uuid[], $2::text[]) AS k(claim_id, line_numbers)
    CROSS JOIN LATERAL (
      SELECT result FROM claim_decisions d WHERE d.claim_id = k.claim_id
       ORDER BY decided_at DESC, id DESC LIMIT 1
    ) d
    CROSS JOIN LATERAL jsonb_array_elements(d.result->'lines') decided
   WHERE (decided->>'lineNumber')::int = ANY(string_to_array(k.line_numbers, ',')::int[])
     AND (decided->>'denied')::boolean = false`;

/** Which of these lines their claim's latest decision did not deny, as "claim id|line number". */
async function notDeniedLines(
  client: pg.PoolClient,
  lines: { claim_id: string; line_number: number }[],
): Promise<Set<string>> {
  const numbersOf = new Map<string, Set<number>>();
  for (const line of lines) {
    numbersOf.set(line.claim_id, (numbersOf.get(line.claim_id) ?? new Set()).add(line.line_number));
  }
  const { rows } = await client.query<{ claim_id: string; line_number: number }>(
    NOT_DENIED_LINES_SQL,
    [[...numbersOf.keys()], [...numbersOf.values()].map((numbers) => [...numbers].join(','))],
  );
  return new Set(rows.map((row) => `${row.claim_id}|${row.line_number}`));
}
