// What adjudication reads of payers' configuration (plans, fee schedule, adjudication rules),
// cached per configuration version. A payer's version (payer_configuration_versions) moves in
// the same transaction as any change to its plans, fee schedule or rules, by statement
// triggers, so one row per payer read in the deciding transaction tells whether what is cached
// still holds; only then is the configuration read again, whole, in three statements.
import type { Queryable } from '../../infra/db.js';
import type { PayerRules as AdjudicationRules } from '../adjudication/types.js';
import { adjudicationRulesOfPayers } from './rules.js';
import { feeSchedulesOfPayers, type PayerFeeSchedule } from './fee-schedule.js';
import { planTermsOfPayers, type VersionedPlanTerms } from './plans.js';

/** A payer's configuration as adjudication applies it, each part with its version. */
export interface PayerConfiguration {
  rules: { rules: AdjudicationRules; version: number | null };
  /** The payer's plans by id. */
  plans: ReadonlyMap<string, VersionedPlanTerms>;
  feeSchedule: PayerFeeSchedule;
}

/**
 * What one process holds of the configurations of one database's payers, by payer: the version
 * it was read at and the configuration. Versions come from one sequence and never repeat, so an
 * entry is either current or replaced.
 */
export class PayerConfigurationCache {
  private readonly entries = new Map<
    string,
    { version: string; configuration: PayerConfiguration }
  >();

  /** Reads of whole configurations since the cache was made (what the cache test counts). */
  misses = 0;

  /**
   * The configuration of each payer as committed now: from the cache when its version still
   * holds, else read and cached. A payer with no configuration at all has default rules, no
   * plans and an empty fee schedule.
   */
  async configurationsOf(
    db: Queryable,
    payerOrgIds: readonly string[],
  ): Promise<Map<string, PayerConfiguration>> {
    const payers = [...new Set(payerOrgIds)];
    const versions = await readVersions(db, payers);
    const fresh = new Map<string, PayerConfiguration>();
    const stale = payers.filter(
      (payer) => this.entries.get(payer)?.version !== versions.get(payer),
    );
    if (stale.length > 0) {
      this.misses += 1;
      const rules = await adjudicationRulesOfPayers(db, stale);
      const plans = await planTermsOfPayers(db, stale);
      const feeSchedules = await feeSchedulesOfPayers(db, stale);
      // Each statement sees what is committed when it starts: a change committed between the
      // version read and the configuration reads would be cached under the older version.
      // Cached only when the version did not move meanwhile; used this once either way.
      const versionsAfter = await readVersions(db, stale);
      for (const payer of stale) {
        const configuration: PayerConfiguration = {
          rules: rules.get(payer)!,
          plans: plans.get(payer)!,
          feeSchedule: feeSchedules.get(payer)!,
        };
        const version = versions.get(payer)!;
        if (versionsAfter.get(payer) === version) {
          this.entries.set(payer, { version, configuration });
        } else {
          this.entries.delete(payer);
        }
        fresh.set(payer, configuration);
      }
    }
    return new Map(
      payers.map((payer) => [payer, fresh.get(payer) ?? this.entries.get(payer)!.configuration]),
    );
  }
}

const caches = new WeakMap<object, PayerConfigurationCache>();

/** The cache of the payers of the database `owner` (its Database) stands for, in this process. */
export function payerConfigurationCacheOf(owner: object): PayerConfigurationCache {
  let cache = caches.get(owner);
  if (!cache) {
    cache = new PayerConfigurationCache();
    caches.set(owner, cache);
  }
  return cache;
}

/** Each payer's configuration version, '0' for a payer never configured. */
async function readVersions(
  db: Queryable,
  payerOrgIds: readonly string[],
): Promise<Map<string, string>> {
  const { rows } = await db.query<{ payer_org_id: string; version: string }>(
    `SELECT payer_org_id, version::text FROM payer_configuration_versions
      WHERE payer_org_id = ANY($1::uuid[])`,
    [payerOrgIds],
  );
  const found = new Map(rows.map((row) => [row.payer_org_id, row.version]));
  return new Map(payerOrgIds.map((payer) => [payer, found.get(payer) ?? '0']));
}
