// Type-checked linting: floating promises and unsafe any are the bugs that lose money here.
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
 * nothing above it. An import the wrong way fails the lint, and so CI.
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
    workers: ['api', 'cli'],
  };
  return Object.entries(above).map(([layer, forbidden]) => ({
    files: [`${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...forbidden.map((name) => ({
              regex: `(^|/)(src/)?${name}/`,
              message: `${layer} sits below ${name}: imports point downward only (ARCHITECTURE.md)`,
            })),
            ...(layer === 'src/interop' ? interopPatterns() : []),
          ],
        },
      ],
    },
  }));
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
