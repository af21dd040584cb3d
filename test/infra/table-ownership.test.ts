// Each area of the domain owns its tables: only the area's own code reads or writes them, in SQL
// or through Prisma; everyone else calls the area's entry module (ARCHITECTURE.md, rule 3). The
// import rule in eslint.config.js cannot see SQL, so this test reads the sources for it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = new URL('../..', import.meta.url).pathname;

/** Who owns each table: an area of src/domain, or one of the shared owners below. */
const OWNERS: Record<string, string[]> = {
  claims: ['claims', 'claim_lines', 'idempotency_records'],
  payers: [
    'plans',
    'members',
    'coverages',
    'fee_schedule_entries',
    'prior_authorizations',
    'payer_configuration_versions',
    'payer_rules',
  ],
  adjudication: ['accumulators', 'family_accumulators', 'claim_decisions', 'adjudication_failures'],
  accounts: ['accounts', 'journal_entries', 'journal_postings'],
  settlement: [
    'settlement_batches',
    'settlement_batch_claims',
    'settlement_batch_adjustments',
    'settlement_recoupments_due',
    'payer_settlement_schedules',
  ],
  reconciliation: [
    'reconciliation_runs',
    'reconciliation_checkpoints',
    'reconciliation_exceptions',
  ],
  interchanges: ['x12_interchanges'],
};

/**
 * Tables no area owns, and why this test leaves them alone: the organization registry (who is
 * who, read by every area to name a party) and the ledger, a layer below the domain that every
 * area appends to through src/ledger and reads as the shared record.
 */
const SHARED = [
  'organizations',
  'clearinghouse_authorizations',
  'api_keys',
  'ledger_events',
  'ledger_sequence',
  'ledger_blocks',
  'ledger_tree_tiles',
  'ledger_checkpoints',
  'ledger_cosignatures',
];

/**
 * Sources held to the rule. The bench (src/cli/bench*.ts) is not: it builds its histories and
 * reads its figures in SQL, as the issue that asked for it allows; tests and migrations neither.
 */
function sources(): string[] {
  const walk = (dir: string): string[] =>
    readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return path === 'src/generated' ? [] : walk(path);
      return path.endsWith('.ts') && !/^src\/cli\/bench[^/]*\.ts$/.test(path) ? [path] : [];
    });
  return [...walk('src'), ...walk('workers')];
}

/** The area a source file belongs to, or undefined outside the domain's area folders. */
function areaOf(path: string): string | undefined {
  return /^src\/domain\/([a-z-]+)\//.exec(path)?.[1];
}

/** Prisma's model names (`prisma.coverage`) by the tables they map to. */
function prismaModels(): Map<string, string> {
  const schema = readFileSync(join(root, 'prisma/schema.prisma'), 'utf8');
  const tables = new Map<string, string>();
  for (const [, model, body] of schema.matchAll(/^model (\w+) \{([\s\S]*?)^\}/gm)) {
    const table = /@@map\("(\w+)"\)/.exec(body!)?.[1] ?? model!;
    tables.set(model!.charAt(0).toLowerCase() + model!.slice(1), table);
  }
  return tables;
}

/** The tables `text` names in SQL (keywords are upper case in this code base, prose is not). */
function tablesInSql(text: string): Set<string> {
  const names = new Set<string>();
  const keyword = /\b(?:FROM|JOIN|UPDATE|INTO|TABLE|TRUNCATE)\s+(?:ONLY\s+)?"?([a-z_][a-z0-9_]*)/g;
  for (const [, name] of text.matchAll(keyword)) names.add(name!);
  return names;
}

/** "file table" for each table a file names that another area owns; `files` maps path to text. */
function breachesIn(files: Iterable<readonly [path: string, text: string]>): string[] {
  const ownerOf = new Map(
    Object.entries(OWNERS).flatMap(([area, tables]) => tables.map((t) => [t, area] as const)),
  );
  const models = prismaModels();
  const found = new Set<string>();
  for (const [path, text] of files) {
    const named = tablesInSql(text);
    for (const [, model] of text.matchAll(/\bprisma\.([a-z]\w*)\./g)) {
      const table = models.get(model!);
      if (table) named.add(table);
    }
    for (const table of named) {
      const owner = ownerOf.get(table);
      if (owner !== undefined && owner !== areaOf(path)) found.add(`${path} ${table}`);
    }
  }
  return [...found].sort();
}

describe('table ownership', () => {
  it('gives every table of the schema an owner, or says why it is shared', () => {
    const owned = new Set([...Object.values(OWNERS).flat(), ...SHARED]);
    const unowned = [...prismaModels().values()].filter((table) => !owned.has(table));
    expect(unowned).toEqual([]);
  });

  it('finds the tables SQL names, and not a word of prose', () => {
    expect([...tablesInSql('SELECT status FROM claims c JOIN claim_lines l ON true')]).toEqual([
      'claims',
      'claim_lines',
    ]);
    expect([...tablesInSql('UPDATE accounts SET x = 1; INSERT INTO journal_entries')]).toEqual([
      'accounts',
      'journal_entries',
    ]);
    expect([...tablesInSql('// reads the lines from claims, then updates accounts')]).toEqual([]);
  });

  it('refuses a statement or a Prisma call on another area’s table, and allows the owner’s', () => {
    expect(
      breachesIn([
        ['src/domain/settlement/x.ts', "query('UPDATE claims SET status = $1 WHERE id = $2')"],
        ['src/api/x.ts', 'await prisma.coverage.findMany({ where: { payerOrgId } })'],
        ['src/domain/claims/x.ts', "query('SELECT id FROM claims JOIN claim_lines USING (id)')"],
        ['src/domain/payers/x.ts', 'await prisma.coverage.findMany({ where: { payerOrgId } })'],
      ]),
    ).toEqual(['src/api/x.ts coverages', 'src/domain/settlement/x.ts claims']);
  });

  it('lets only an area touch its tables', () => {
    const files = sources().map((path) => [path, readFileSync(join(root, path), 'utf8')] as const);
    expect(breachesIn(files)).toEqual([]);
  });
});
