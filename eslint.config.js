// Type-checked linting: floating promises and unsafe any are the bugs that lose money here.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'src/generated', 'dist'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/only-throw-error': 'off',
    },
  },
  {
    // Response bodies in tests are untyped JSON; asserting on them is the point.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  ...layerRules(),
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  // The /verify page's module runs in the browser as it is: plain JavaScript, no type service.
  { files: ['public/**/*.js'], ...tseslint.configs.disableTypeChecked },
);

/**
 * The layers (ARCHITECTURE.md): imports point downward only. api and workers call the domain;
 * the domain uses interop, ledger and infra; the ledger knows nothing of claims; infra knows
 * nothing above it. And the areas of the domain (src/domain/<area>/): each owns its tables, and
 * everyone outside an area (another area, the API, the CLI, the workers) uses it through its
 * entry module, src/domain/<area>/index.ts, or its pure modules (schemas,
 * types, the adjudication engine; they touch no table). interop has its own, narrower rule
 * (interopPatterns). An import the wrong way fails the lint, and so CI.
 */
function layerRules() {
  const above = {
    'src/infra': ['api', 'cli', 'workers', 'domain', 'interop', 'ledger', 'witness'],
    'src/ledger': ['api', 'cli', 'workers', 'domain', 'interop', 'witness'],
    // The participant side of the transparency log: the ledger's pure tlog modules and infra.
    'src/witness': ['api', 'cli', 'workers', 'domain', 'interop'],
    'src/interop': ['api', 'cli', 'workers'],
    'src/domain': ['api', 'cli', 'workers'],
    'src/api': ['cli', 'workers'],
    'src/cli': [],
    workers: ['api', 'cli'],
  };
  const areas = readdirSync(join(import.meta.dirname, 'src/domain'), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
  // An area's modules that hold no state and touch no table: anyone may import them.
  const pureModules = ['schema', 'types', 'engine', 'remittance-document', 'eligibility'];
  const open = ['index', ...pureModules].join('|');
  const throughEntryModules = (except) =>
    areas
      .filter((area) => area !== except)
      .map((area) => ({
        // domain/<area>/… from anywhere, or ../<area>/… and ./<area>/… from inside the domain.
        regex: `((^|/)domain/|^\\.\\.?/)${area}/(?!(${open})\\.js$)`,
        message: `use the ${area} area through its entry module, domain/${area}/index.js: only the area's own code touches its tables (ARCHITECTURE.md)`,
      }));
  const restrict = (files, patterns) => ({
    files,
    rules: { 'no-restricted-imports': ['error', { patterns }] },
  });
  return Object.entries(above).flatMap(([layer, forbidden]) => {
    const downward = forbidden.map((name) => ({
      regex: `(^|/)(src/)?${name}/`,
      message: `${layer} sits below ${name}: imports point downward only (ARCHITECTURE.md)`,
    }));
    if (layer === 'src/interop') {
      return [restrict([`${layer}/**/*.ts`], [...downward, ...interopPatterns()])];
    }
    // Flat config replaces a rule's options file by file: an area's own files come last, with
    // every pattern again but the one about the area itself.
    const ownAreas =
      layer === 'src/domain'
        ? areas.map((area) =>
            restrict([`src/domain/${area}/**/*.ts`], [...downward, ...throughEntryModules(area)]),
          )
        : [];
    // Below the domain, the downward rule already refuses every import of it.
    const areaRule = forbidden.includes('domain') ? [] : throughEntryModules();
    return [restrict([`${layer}/**/*.ts`], [...downward, ...areaRule]), ...ownAreas];
  });
}

/**
 * interop maps formats only: it reads no database and appends nothing to the ledger, and of the
 * domain it uses types and the pure modules that define what a valid value is (the schemas and
 * value rules) and what a document holds (the remittance document, adjudication's types). The
 * caller (api, cli, or a domain service) reads and writes; interop turns one shape into another.
 */
function interopPatterns() {
  const pureDomainModules = [
    'validation',
    'claims/schema',
    'adjudication/types',
    'inquiries/eligibility',
    'settlement/remittance-document',
  ];
  const message =
    'interop maps formats only: it may use domain types and the pure domain modules, never the database (ARCHITECTURE.md)';
  return [
    { group: ['pg', '@prisma/*', 'ioredis', 'bullmq'], message },
    { regex: '(^|/)(generated/prisma|infra/db|infra/redis|ledger)(/|\\.js$)', message },
    {
      regex: `(^|/)domain/(?!(${pureDomainModules.join('|')})\\.js$)`,
      allowTypeImports: true,
      message,
    },
  ];
}
