// A payer's adjudication rules: timely filing limit and when a claim pends instead of being
// decided automatically. One row per payer; every change bumps its version and is a
// PayerRulesSet event, so a decision can name the rules it was made under.
import type { PayerRules } from '../../generated/prisma/client.js';
import { inTransaction, type Database, type Queryable } from '../../infra/db.js';
import type { PayerRules as AdjudicationRules } from '../adjudication/types.js';
import { NotFound } from '../../infra/errors.js';
import { appendEvents } from '../../ledger/append.js';
import type { Principal } from '../organizations.js';
import { payerOrgOf } from './access.js';
import type { PayerRulesInput } from './schema.js';

export interface PayerRulesView {
  timelyFilingDays: number;
  autoAdjudicationLimitAmount: string;
  pendUnknownCodes: boolean;
  /** Dollars per anesthesia unit; null when the payer prices no anesthesia time. */
  anesthesiaConversionFactor: string | null;
  version: number;
  updatedAt: string;
}

interface PayerRulesRow {
  timely_filing_days: number;
  auto_adjudication_limit_amount: string;
  pend_unknown_codes: boolean;
  anesthesia_conversion_factor: string | null;
  version: number;
  updated_at: Date;
}

const RULES_COLUMNS = `timely_filing_days, auto_adjudication_limit_amount::text AS auto_adjudication_limit_amount,
  pend_unknown_codes, anesthesia_conversion_factor::text AS anesthesia_conversion_factor, version,
  updated_at`;

function viewOfRow(row: PayerRulesRow): PayerRulesView {
  return {
    timelyFilingDays: row.timely_filing_days,
    autoAdjudicationLimitAmount: row.auto_adjudication_limit_amount,
    pendUnknownCodes: row.pend_unknown_codes,
    anesthesiaConversionFactor: row.anesthesia_conversion_factor,
    version: row.version,
    updatedAt: row.updated_at.toISOString(),
  };
}

function viewOf(rules: PayerRules): PayerRulesView {
  return {
    timelyFilingDays: rules.timelyFilingDays,
    autoAdjudicationLimitAmount: rules.autoAdjudicationLimitAmount.toFixed(2),
    pendUnknownCodes: rules.pendUnknownCodes,
    anesthesiaConversionFactor: rules.anesthesiaConversionFactor?.toFixed(2) ?? null,
    version: rules.version,
    updatedAt: rules.updatedAt.toISOString(),
  };
}

/**
 * Creates or replaces the caller's rules. Sending the rules already in force changes
 * nothing: no new version, no event.
 */
export async function setPayerRules(
  database: Database,
  principal: Principal,
  input: PayerRulesInput,
): Promise<PayerRulesView> {
  const payerOrgId = payerOrgOf(principal);
  const now = new Date();
  return inTransaction(database.pool, async (client) => {
    const { rows } = await client.query<PayerRulesRow>(
      `INSERT INTO payer_rules AS existing (payer_org_id, timely_filing_days,
         auto_adjudication_limit_amount, pend_unknown_codes, anesthesia_conversion_factor, version,
         updated_at)
       VALUES ($1, $2, $3, $4, $6, 1, $5)
       ON CONFLICT (payer_org_id) DO UPDATE
         SET timely_filing_days = EXCLUDED.timely_filing_days,
             auto_adjudication_limit_amount = EXCLUDED.auto_adjudication_limit_amount,
             pend_unknown_codes = EXCLUDED.pend_unknown_codes,
             anesthesia_conversion_factor = EXCLUDED.anesthesia_conversion_factor,
             version = existing.version + 1,
             updated_at = EXCLUDED.updated_at
         WHERE (existing.timely_filing_days, existing.auto_adjudication_limit_amount,
                existing.pend_unknown_codes, existing.anesthesia_conversion_factor)
               IS DISTINCT FROM (EXCLUDED.timely_filing_days,
                 EXCLUDED.auto_adjudication_limit_amount, EXCLUDED.pend_unknown_codes,
                 EXCLUDED.anesthesia_conversion_factor)
       RETURNING ${RULES_COLUMNS}`,
      [
        payerOrgId,
        input.timelyFilingDays,
        input.autoAdjudicationLimitAmount,
        input.pendUnknownCodes,
        now,
        input.anesthesiaConversionFactor ?? null,
      ],
    );
    const changed = rows[0];
    if (!changed) {
      // Unchanged: the conflicting row is locked by the statement above, so this reads it.
      const current = await client.query<PayerRulesRow>(
        `SELECT ${RULES_COLUMNS} FROM payer_rules WHERE payer_org_id = $1`,
        [payerOrgId],
      );
      return viewOfRow(current.rows[0]!);
    }
    const view = viewOfRow(changed);
    await appendEvents(
      client,
      [
        {
          type: 'PayerRulesSet',
          aggregateId: `payer-rules:${payerOrgId}`,
          actorOrgId: payerOrgId,
          payload: {
            payerOrgId,
            version: view.version,
            timelyFilingDays: view.timelyFilingDays,
            autoAdjudicationLimitAmount: view.autoAdjudicationLimitAmount,
            pendUnknownCodes: view.pendUnknownCodes,
            // Only when set, so that the events of other payers keep their shape.
            ...(view.anesthesiaConversionFactor === null
              ? {}
              : { anesthesiaConversionFactor: view.anesthesiaConversionFactor }),
          },
          partyOrgIds: [payerOrgId],
        },
      ],
      now,
    );
    return view;
  });
}

export async function getPayerRules(
  database: Database,
  principal: Principal,
): Promise<PayerRulesView> {
  const payerOrgId = payerOrgOf(principal);
  const rules = await database.prisma.payerRules.findUnique({ where: { payerOrgId } });
  if (!rules) throw new NotFound('payer rules');
  return viewOf(rules);
}

// ---- For adjudication

/** Rules of a payer that has not configured its own: a year to file, nothing pends on size. */
export const DEFAULT_PAYER_RULES: AdjudicationRules = {
  timelyFilingDays: 365,
  autoAdjudicationLimitAmount: '999999999999.99',
  pendUnknownCodes: true,
};

/**
 * The payers' rules as adjudication applies them, with their version (null: the defaults), by
 * payer, in one statement.
 */
export async function adjudicationRulesOfPayers(
  db: Queryable,
  payerOrgIds: readonly string[],
): Promise<Map<string, { rules: AdjudicationRules; version: number | null }>> {
  const { rows } = await db.query<{
    payer_org_id: string;
    timely_filing_days: number;
    auto_adjudication_limit_amount: string;
    pend_unknown_codes: boolean;
    anesthesia_conversion_factor: string | null;
    version: number;
  }>(
    `SELECT payer_org_id, timely_filing_days, auto_adjudication_limit_amount::text,
            pend_unknown_codes, anesthesia_conversion_factor::text, version
       FROM payer_rules WHERE payer_org_id = ANY($1::uuid[])`,
    [[...new Set(payerOrgIds)]],
  );
  const found = new Map(rows.map((row) => [row.payer_org_id, row]));
  return new Map(
    payerOrgIds.map(
      (payerOrgId): [string, { rules: AdjudicationRules; version: number | null }] => {
        const row = found.get(payerOrgId);
        if (!row) return [payerOrgId, { rules: DEFAULT_PAYER_RULES, version: null }];
        const rules: AdjudicationRules = {
          timelyFilingDays: row.timely_filing_days,
          autoAdjudicationLimitAmount: row.auto_adjudication_limit_amount,
          pendUnknownCodes: row.pend_unknown_codes,
          ...(row.anesthesia_conversion_factor === null
            ? {}
            : { anesthesiaConversionFactor: row.anesthesia_conversion_factor }),
        };
        return [payerOrgId, { rules, version: row.version }];
      },
    ),
  );
}
