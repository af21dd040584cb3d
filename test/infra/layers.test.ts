// The layer rule in eslint.config.js: an import that points upward, or into another area than
// through its entry module, fails the lint (and CI).
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

/** The no-restricted-imports messages for `source` as if it were the file at `filePath`. */
async function layerProblems(filePath: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath });
  return (
    result!.messages
      .filter((message) => message.ruleId === 'no-restricted-imports')
      // ESLint prefixes the import: "'../x.js' import is restricted from being used by a pattern."
      .map((message) => message.message.replace(/^.* by a pattern\. /, ''))
  );
}

describe('the layer rule', () => {
  it('refuses the ledger importing the domain, and infra importing the ledger', async () => {
    expect(
      await layerProblems(
        'src/ledger/hash.ts',
        "import { moneyText } from '../domain/claims/schema.js';\nexport const used = moneyText;\n",
      ),
    ).toEqual(['src/ledger sits below domain: imports point downward only (ARCHITECTURE.md)']);
    expect(
      await layerProblems(
        'src/infra/errors.ts',
        "import { sha256Hex } from '../ledger/hash.js';\nexport const used = sha256Hex;\n",
      ),
    ).toEqual(['src/infra sits below ledger: imports point downward only (ARCHITECTURE.md)']);
  });

  it('refuses the witness importing the domain, and the ledger importing the witness', async () => {
    expect(
      await layerProblems(
        'src/witness/policy.ts',
        "import { moneyText } from '../domain/claims/schema.js';\nexport const used = moneyText;\n",
      ),
    ).toEqual(['src/witness sits below domain: imports point downward only (ARCHITECTURE.md)']);
    expect(
      await layerProblems(
        'src/ledger/hash.ts',
        "import { parsePolicy } from '../witness/policy.js';\nexport const used = parsePolicy;\n",
      ),
    ).toEqual(['src/ledger sits below witness: imports point downward only (ARCHITECTURE.md)']);
  });

  it('refuses the domain importing the API, and a worker importing the API', async () => {
    expect(
      await layerProblems(
        'src/domain/cursor.ts',
        "import { problem } from '../api/errors.js';\nexport const used = problem;\n",
      ),
    ).toEqual(['src/domain sits below api: imports point downward only (ARCHITECTURE.md)']);
    expect(
      await layerProblems(
        'workers/scheduled.ts',
        "import { createApp } from '../src/api/app.js';\nexport const used = createApp;\n",
      ),
    ).toEqual(['workers sits below api: imports point downward only (ARCHITECTURE.md)']);
  });

  it('refuses interop reading the database or calling a domain service', async () => {
    const interopOnly =
      'interop maps formats only: it may use domain types and the pure domain modules, never the database (ARCHITECTURE.md)';
    expect(
      await layerProblems(
        'src/interop/fhir/claim-out.ts',
        "import { getClaim } from '../../domain/claims/query.js';\nexport const used = getClaim;\n",
      ),
    ).toEqual([interopOnly]);
    expect(
      await layerProblems(
        'src/interop/x12/835.ts',
        "import type { Database } from '../../infra/db.js';\nexport type Used = Database;\n",
      ),
    ).toEqual([interopOnly]);
    expect(
      await layerProblems(
        'src/interop/x12/835.ts',
        "import { appendEvents } from '../../ledger/append.js';\nexport const used = appendEvents;\n",
      ),
    ).toEqual([interopOnly]);
  });

  it('lets interop use domain types and the pure domain modules', async () => {
    expect(
      await layerProblems(
        'src/interop/fhir/claim-out.ts',
        "import type { ClaimDetail } from '../../domain/claims/query.js';\n" +
          "import { claimSubmissionSchema } from '../../domain/claims/schema.js';\n" +
          'export type Used = ClaimDetail;\nexport const schema = claimSubmissionSchema;\n',
      ),
    ).toEqual([]);
  });

  it('refuses using an area other than through its entry module', async () => {
    const message =
      "use the adjudication area through its entry module, domain/adjudication/index.js: only the area's own code touches its tables (ARCHITECTURE.md)";
    expect(
      await layerProblems(
        'src/domain/settlement/service.ts',
        "import { adjudicateClaim } from '../adjudication/service.js';\nexport const used = adjudicateClaim;\n",
      ),
    ).toEqual([message]);
    expect(
      await layerProblems(
        'src/api/review.ts',
        "import { adjudicateClaim } from '../domain/adjudication/service.js';\nexport const used = adjudicateClaim;\n",
      ),
    ).toEqual([message]);
  });

  it('lets an area use its own modules, and others use its entry module and pure modules', async () => {
    expect(
      await layerProblems(
        'src/domain/adjudication/sweep.ts',
        "import { adjudicateClaim } from './service.js';\nexport const used = adjudicateClaim;\n",
      ),
    ).toEqual([]);
    expect(
      await layerProblems(
        'src/api/review.ts',
        "import { adjudicateClaim } from '../domain/adjudication/index.js';\n" +
          "import { adjudicate } from '../domain/adjudication/engine.js';\n" +
          'export const used = [adjudicateClaim, adjudicate];\n',
      ),
    ).toEqual([]);
  });

  it('lets imports point downward', async () => {
    expect(
      await layerProblems(
        'src/api/operations.ts',
        "import { sha256Hex } from '../ledger/hash.js';\nexport const used = sha256Hex;\n",
      ),
    ).toEqual([]);
  });
});
