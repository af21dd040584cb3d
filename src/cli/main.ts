#!/usr/bin/env node
// The ClaimChain command line: migrate, organizations and keys, serve, seal, verify, x12,
// remittance, demo, bench.
import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError } from 'commander';
import { z } from 'zod';
import { loadConfig, ConfigError } from '../infra/config.js';
import { MigrationError, resolveRolledBack } from '../infra/migrate.js';
import { DomainError, InvalidInput } from '../infra/errors.js';
import { phiKeysOf } from '../api/app.js';
import { loadRemittance } from '../domain/settlement/index.js';
import { write835 } from '../interop/x12/835.js';
import {
  createOrganization,
  findOrganization,
  issueApiKey,
  revokeApiKey,
  ORGANIZATION_KINDS,
  ROLES,
  type OrganizationKind,
  type Role,
} from '../domain/organizations.js';
import {
  organizationProfileSchema,
  setOrganizationProfile,
} from '../domain/organization-profile.js';
import {
  organizationIdentifiersSchema,
  setOrganizationIdentifiers,
} from '../domain/trading-partners.js';
import { parseOrThrow } from '../domain/validation.js';
import { getRun, runReconciliation } from '../domain/reconciliation/index.js';
import { buildTransparencyTree, sealPending } from '../ledger/seal.js';
import { parseSignerKey, signerKeyOf } from '../ledger/tlog/note.js';
import { openRuntime, prepareDatabase, type Runtime } from './runtime.js';
import { startEngine, stopOnSignals } from './serve.js';
import { describeReport, verifyChainCommand, verifyProofFile } from './verify.js';
import {
  runMirror,
  type MirrorCommandOptions,
  runWitness,
  verifyProofWithPolicy,
  WitnessSetupError,
  type WitnessCommandOptions,
} from './witness.js';
import { evidenceFileBytesMaxDefault } from '../witness/evidence.js';
import { generateWitnessKey } from '../witness/keys.js';
import { PolicyError } from '../witness/policy.js';
import { WitnessStateError } from '../witness/state.js';
import { NoteFormatError } from '../ledger/tlog/note.js';
import {
  describeX12Answer,
  fetchAcknowledgments,
  interchangeIdOf,
  submitX12File,
  type AcknowledgmentFetch,
} from './x12.js';

function oneOf<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!values.includes(value as T))
      throw new InvalidArgumentError(`must be one of ${values.join(', ')}`);
    return value as T;
  };
}

async function withRuntime<T>(work: (runtime: Runtime) => Promise<T>): Promise<T> {
  const runtime = openRuntime();
  try {
    return await work(runtime);
  } finally {
    await runtime.close();
  }
}

const program = new Command('claimchain').description('ClaimChain claims and settlement ledger');

program
  .command('migrate')
  .description('create the database if needed and apply pending migrations')
  .option('--resolve-rolled-back <name>', 'mark a failed migration as rolled back, then exit')
  .action(async (options: { resolveRolledBack?: string }) => {
    const config = loadConfig();
    if (options.resolveRolledBack) {
      await resolveRolledBack(config.databaseUrl, options.resolveRolledBack);
      console.log(`marked ${options.resolveRolledBack} as rolled back`);
      return;
    }
    const applied = await prepareDatabase(config);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
    // A chain sealed before the transparency log gets its tree once, from its stored events.
    await withRuntime(async ({ database }) => {
      const built = await buildTransparencyTree(database.pool);
      if (built > 0) console.log(`built the transparency tree over ${built} existing blocks`);
    });
  });

program
  .command('ledger-key')
  .description(
    "generate the ledger log's Ed25519 checkpoint key (LEDGER_LOG_KEY) and its public key",
  )
  .requiredOption(
    '--name <origin>',
    'the log origin and key name, e.g. ledger.example.com/claimchain',
  )
  .action((options: { name: string }) => {
    const signerKey = signerKeyOf(options.name, new Uint8Array(randomBytes(32)));
    console.log(`LEDGER_LOG_KEY=${signerKey}`);
    console.log(`verifier key (publish this): ${parseSignerKey(signerKey).verifierKey}`);
  });

const org = program.command('org').description('organizations');
org
  .command('create')
  .requiredOption('--name <name>', 'organization name')
  .requiredOption('--kind <kind>', ORGANIZATION_KINDS.join(' | '), oneOf(ORGANIZATION_KINDS))
  .option('--npi <npi>', 'provider NPI (10 digits)')
  .action(async (options: { name: string; kind: OrganizationKind; npi?: string }) => {
    await withRuntime(async ({ database }) => {
      const created = await createOrganization(database, options);
      console.log(JSON.stringify(created, null, 2));
    });
  });

interface ProfileOptions {
  street?: string;
  street2?: string;
  city?: string;
  state?: string;
  zip?: string;
  taxId?: string;
  contactName?: string;
  contactPhone?: string;
  contactEmail?: string;
  technicalName?: string;
  technicalPhone?: string;
  technicalEmail?: string;
}

/** The profile as PUT /v1/organizations/:id/profile takes it: a part given by no option is absent. */
function profileInputOf(options: ProfileOptions) {
  const contact = (name?: string, phone?: string, email?: string) =>
    name === undefined && phone === undefined && email === undefined
      ? undefined
      : { name, phone, email };
  const { street, street2, city, state, zip } = options;
  const addressGiven = [street, street2, city, state, zip].some((value) => value !== undefined);
  return {
    address: addressGiven
      ? { line1: street, line2: street2, city, stateCode: state, postalCode: zip }
      : undefined,
    taxId: options.taxId,
    businessContact: contact(options.contactName, options.contactPhone, options.contactEmail),
    technicalContact: contact(
      options.technicalName,
      options.technicalPhone,
      options.technicalEmail,
    ),
  };
}

org
  .command('profile <id>')
  .description(
    "set an organization's remittance profile (the whole profile: parts not given are cleared)",
  )
  .option('--street <line>', 'address line 1')
  .option('--street2 <line>', 'address line 2')
  .option('--city <city>', 'city')
  .option('--state <code>', 'two-letter state code, e.g. CT')
  .option('--zip <zip>', 'ZIP code, 5 or 9 digits')
  .option('--tax-id <ein>', 'federal tax id (EIN), 9 digits')
  .option('--contact-name <name>', 'payer: office for remittance questions (835 PER*CX)')
  .option('--contact-phone <phone>', 'payer: its phone, 10 digits')
  .option('--contact-email <email>', 'payer: its email')
  .option('--technical-name <name>', 'payer: EDI support contact (835 PER*BL)')
  .option('--technical-phone <phone>', 'payer: its phone, 10 digits')
  .option('--technical-email <email>', 'payer: its email')
  .action(async (id: string, options: ProfileOptions) => {
    const { id: orgId } = parseOrThrow(
      z.object({ id: z.uuid('must be a UUID') }),
      { id },
      'organization id',
    );
    const input = parseOrThrow(organizationProfileSchema, profileInputOf(options), 'profile');
    await withRuntime(async ({ database }) => {
      const changed = await setOrganizationProfile(database, undefined, orgId, input);
      console.log(JSON.stringify(changed, null, 2));
    });
  });

interface IdentifierOptions {
  npi?: string;
  payerId?: string;
  interchangeQualifier?: string;
  interchangeId?: string;
}

org
  .command('identifiers <id>')
  .description(
    "set an organization's external identifiers (the whole set: identifiers not given are cleared)",
  )
  .option('--npi <npi>', 'NPI, 10 digits (one organization each)')
  .option('--payer-id <id>', 'payer: the payer id clearinghouses address it by, e.g. 60054')
  .option('--interchange-qualifier <code>', 'ISA05/ISA07 qualifier, e.g. ZZ or 30')
  .option('--interchange-id <id>', 'ISA06/ISA08 of its X12 files, up to 15 characters')
  .action(async (id: string, options: IdentifierOptions) => {
    const { id: orgId } = parseOrThrow(
      z.object({ id: z.uuid('must be a UUID') }),
      { id },
      'organization id',
    );
    const { interchangeQualifier: qualifier, interchangeId } = options;
    const interchangeGiven = qualifier !== undefined || interchangeId !== undefined;
    const input = parseOrThrow(
      organizationIdentifiersSchema,
      {
        npi: options.npi,
        payerId: options.payerId,
        interchange: interchangeGiven ? { qualifier, id: interchangeId } : undefined,
      },
      'identifiers',
    );
    await withRuntime(async ({ database }) => {
      const identifiers = await setOrganizationIdentifiers(database, undefined, orgId, input);
      console.log(JSON.stringify(identifiers, null, 2));
    });
  });

const key = program.command('key').description('API keys');
key
  .command('create')
  .requiredOption('--org <id>', 'organization id')
  .requiredOption('--role <role>', ROLES.join(' | '), oneOf(ROLES))
  .option('--label <label>', 'what the key is for')
  .action(async (options: { org: string; role: Role; label?: string }) => {
    await withRuntime(async ({ database }) => {
      const issued = await issueApiKey(database, {
        orgId: options.org,
        role: options.role,
        label: options.label,
      });
      console.log(JSON.stringify(issued, null, 2));
      console.error('Store the key now: it is shown once and kept only as a hash.');
    });
  });
key.command('revoke <keyId>').action(async (keyId: string) => {
  await withRuntime(async ({ database }) => {
    console.log(JSON.stringify(await revokeApiKey(database, keyId, undefined)));
  });
});

program
  .command('serve')
  .description('run the HTTP API and the workers')
  .option('--no-api', 'workers only')
  .option('--no-workers', 'API only')
  .action(async (options: { api: boolean; workers: boolean }) => {
    const runtime = openRuntime();
    const engine = await startEngine(runtime, options);
    stopOnSignals(async () => {
      await engine.stop();
      await runtime.close();
    }, runtime);
  });

program
  .command('reconcile')
  .description(
    'run a reconciliation now (the worker does this on its schedule); exits 1 if it found exceptions',
  )
  .option('--json', 'print the run as JSON')
  .option('--full', 'check the whole history, not only what came after the last clean run')
  .action(async (options: { json?: boolean; full?: boolean }) => {
    await withRuntime(async ({ database }) => {
      const { id, summary } = await runReconciliation(database, {
        trigger: 'request',
        mode: options.full ? 'full' : 'incremental',
      });
      // Read as the operator's auditor would: every exception, of every organization.
      const operator = {
        keyId: 'cli',
        orgId: '00000000-0000-0000-0000-000000000000',
        orgKind: 'operator' as const,
        role: 'auditor' as const,
      };
      const run = await getRun(database, operator, id);
      if (options.json) {
        console.log(JSON.stringify(run, null, 2));
      } else {
        console.log(
          `reconciliation run ${id}: ${summary.journalEntriesChecked} journal entries, ` +
            `${summary.accountsChecked} accounts, ${summary.ledgerEventsReplayed} money events replayed, ` +
            `${summary.batchesChecked} batches, ${summary.recoupmentsChecked} recoupments, ` +
            `chain ${summary.chain.ok ? 'ok' : 'BROKEN'} ` +
            `(${summary.chain.eventsChecked} events): ${summary.exceptionsFound} exceptions`,
        );
        for (const exception of run.exceptions) {
          console.log(
            `  ${exception.check} ${exception.subjectType} ${exception.subjectId}: ${exception.message}` +
              (exception.expected !== null || exception.actual !== null
                ? ` (expected ${exception.expected ?? '-'}, found ${exception.actual ?? '-'})`
                : ''),
          );
        }
      }
      if (summary.exceptionsFound > 0) process.exitCode = 1;
    });
  });

program
  .command('seal')
  .description('seal every pending event now (the worker does this on its own)')
  .action(async () => {
    await withRuntime(async ({ database, config }) => {
      const result = await sealPending(
        database.pool,
        config.sealBlockEventsMax,
        Number.MAX_SAFE_INTEGER,
        parseSignerKey(config.ledgerLogKey),
      );
      console.log(
        `sealed ${result.events} events into ${result.blocks} blocks${result.busy ? ' (another sealer is running)' : ''}`,
      );
    });
  });

program
  .command('verify')
  .description('verify the whole chain, or with --proof a saved proof file offline')
  .option(
    '--proof <file>',
    'verify one proof file (GET /v1/ledger/events/:id/proof) without the database',
  )
  .option(
    '--policy <file>',
    "with --proof: also require the checkpoint signed by the policy's log and a quorum of its witnesses",
  )
  .option('--json', 'print the report as JSON')
  .action(async (options: { proof?: string; policy?: string; json?: boolean }) => {
    if (options.proof) {
      const result = options.policy
        ? await verifyProofWithPolicy(options.proof, options.policy)
        : await verifyProofFile(options.proof);
      console.log(result.message);
      process.exitCode = result.ok ? 0 : 1;
      return;
    }
    if (options.policy) throw new InvalidArgumentError('--policy needs --proof');
    await withRuntime(async (runtime) => {
      const report = await verifyChainCommand(runtime, !options.json && process.stderr.isTTY);
      console.log(options.json ? JSON.stringify(report) : describeReport(report));
      process.exitCode = report.ok ? 0 : 1;
    });
  });

program
  .command('witness')
  .description(
    "run a witness (C2SP tlog-witness): cosign the log's checkpoints that are consistent with the last one cosigned",
  )
  .option('--key-file <file>', 'the witness signer key (default: $WITNESS_KEY); see witness-keygen')
  .option(
    '--log <vkey>',
    "a log's verifier key (its name is the log's origin); repeatable",
    collect,
    [],
  )
  .requiredOption('--state <file>', 'the state file: the last checkpoint cosigned per log')
  .option(
    '--evidence <file>',
    'where alarms are appended as JSON lines, each distinct alarm once (default: <state>.evidence.jsonl)',
  )
  .option(
    '--evidence-bytes-max <bytes>',
    'the evidence file grows no larger: alarms past it are only logged',
    String(evidenceFileBytesMaxDefault),
  )
  .option('--listen <host:port>', 'serve POST /add-checkpoint here', '127.0.0.1:3100')
  .option('--follow <url>', "pull instead: poll this log's API and hand it the cosignatures")
  .option(
    '--api-key <key>',
    'with --follow: the API key to read the log (default: $CLAIMCHAIN_API_KEY)',
  )
  .option('--interval-ms <ms>', 'with --follow: how often to poll', '2000')
  .action(async (options: WitnessCommandOptions) => {
    await runWitness(options);
  });

program
  .command('witness-keygen')
  .description("generate a witness's Ed25519 key and print its cosignature/v1 verifier key")
  .requiredOption('--name <name>', 'the witness key name, e.g. witness.payer.example/w1')
  .option('--out <file>', 'write the signer key here (mode 600) instead of standard output')
  .action(async (options: { name: string; out?: string }) => {
    const { signerKey, verifierKey } = generateWitnessKey(options.name);
    if (options.out) await writeFile(options.out, `${signerKey}\n`, { mode: 0o600, flag: 'wx' });
    else console.log(signerKey);
    console.error(
      `verifier key (put it in the log's witness list and in policies): ${verifierKey}`,
    );
  });

program
  .command('mirror')
  .description(
    "keep a verified local copy of the log's leaves: fetch what is new, rebuild the tree, check every signed checkpoint",
  )
  .requiredOption('--url <url>', 'the log API base URL')
  .requiredOption('--dir <directory>', 'the local copy (created if missing)')
  .requiredOption('--log <vkey>', "the log's verifier key")
  .option('--policy <file>', "also require the policy's witness quorum on the latest checkpoint")
  .option('--api-key <key>', 'API key to read the log (default: $CLAIMCHAIN_API_KEY)')
  .option('--verify-only', 'check the local copy against its saved checkpoint; fetch nothing')
  .action(async (options: MirrorCommandOptions) => {
    const result = await runMirror(options);
    console.log(result.message);
    process.exitCode = result.ok ? 0 : 1;
  });

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const x12 = program.command('x12').description('X12 files');
x12
  .command('submit <file>')
  .description("send an 837P file to the API (POST /v1/x12/837) and print each claim's answer")
  .option('--url <url>', 'API base URL', 'http://localhost:3000')
  .option('--key <key>', 'provider_biller API key (default: $CLAIMCHAIN_API_KEY)')
  .option(
    '--idempotency-key <key>',
    'default: derived from the file, so sending the same file again replays its first answer',
  )
  .option('--json', 'print the answer as JSON')
  .option('--acks-out <directory>', 'save the 999 and 277CA of the interchange there')
  .action(
    async (
      file: string,
      options: {
        url: string;
        key?: string;
        idempotencyKey?: string;
        json?: boolean;
        acksOut?: string;
      },
    ) => {
      const apiKey = options.key ?? process.env.CLAIMCHAIN_API_KEY;
      if (!apiKey) {
        console.error('an API key is required: --key or CLAIMCHAIN_API_KEY');
        process.exitCode = 1;
        return;
      }
      const { url, idempotencyKey } = options;
      const result = await submitX12File({ file, url, apiKey, idempotencyKey }).catch(
        (error: unknown) => {
          // A file that cannot be read, or an API that cannot be reached: say which, no stack.
          const cause = (error as { cause?: { message?: string } }).cause?.message;
          console.error(`${(error as Error).message}${cause ? `: ${cause}` : ''}`);
          return undefined;
        },
      );
      if (!result) {
        process.exitCode = 1;
        return;
      }
      console.log(
        options.json ? JSON.stringify(result.body, null, 2) : describeX12Answer(result).join('\n'),
      );
      process.exitCode = result.ok ? 0 : 1;
      const interchangeId = interchangeIdOf(result);
      if (options.acksOut !== undefined && interchangeId !== undefined) {
        await saveAcknowledgments({ url, apiKey, interchangeId, directory: options.acksOut });
      }
    },
  );

/** Writes an interchange's 999 and 277CA into `directory`, naming each file; exit 1 on failure. */
async function saveAcknowledgments(options: AcknowledgmentFetch): Promise<void> {
  try {
    for (const file of await fetchAcknowledgments(options)) console.error(`wrote ${file}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exitCode = 1;
  }
}

x12
  .command('acks <interchangeId>')
  .description('save the 999 and 277CA of an interchange sent before (GET /v1/x12/interchanges)')
  .option('--url <url>', 'API base URL', 'http://localhost:3000')
  .option('--key <key>', 'API key of the submitting organization (default: $CLAIMCHAIN_API_KEY)')
  .option('--out <directory>', 'where to write them', '.')
  .action(async (interchangeId: string, options: { url: string; key?: string; out: string }) => {
    const apiKey = options.key ?? process.env.CLAIMCHAIN_API_KEY;
    if (!apiKey) {
      console.error('an API key is required: --key or CLAIMCHAIN_API_KEY');
      process.exitCode = 1;
      return;
    }
    await saveAcknowledgments({ url: options.url, apiKey, interchangeId, directory: options.out });
  });

program
  .command('remittance <batchId>')
  .description("write a settlement batch's 835 (as GET /v1/settlement/batches/:id/835 answers it)")
  .requiredOption('--org <id>', 'the payer or provider of the batch, on whose behalf it is read')
  .option('--out <file>', 'write to this file instead of standard output')
  .action(async (batchId: string, options: { org: string; out?: string }) => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
    if (!uuid.test(batchId) || !uuid.test(options.org)) {
      throw new DomainError('the batch and organization ids must be UUIDs', 422, 'invalid_input');
    }
    await withRuntime(async ({ database, config }) => {
      const organization = await findOrganization(database, options.org);
      if (!organization) throw new DomainError(`no organization ${options.org}`, 404, 'not_found');
      // The same access as the API's: an organization other than the batch's payer or
      // provider is told the batch does not exist.
      const principal = {
        keyId: 'cli',
        orgId: organization.id,
        orgKind: organization.kind,
        role: 'finance' as const,
      };
      const { remittance } = await loadRemittance(
        database,
        phiKeysOf(config),
        principal,
        batchId,
        config.x12UsageIndicator,
      );
      const text = write835(remittance);
      if (options.out === undefined) process.stdout.write(text);
      else {
        await writeFile(options.out, text, { mode: 0o600 }); // names patients: owner-only
        console.error(`wrote ${options.out} (ISA13 ${remittance.interchange.controlNumber})`);
      }
    });
  });

program
  .command('demo')
  .description(
    'migrate, create demo organizations and keys, start the engine and the console, and send a steady stream of varied claims',
  )
  .option('--claim-every <ms>', 'how often the stream sends a claim or an 837P file', '1500')
  .option('--settle-every <ms>', "how often the payer's finance settles", '20000')
  .action(async (options: { claimEvery: string; settleEvery: string }) => {
    const { runDemo } = await import('./demo.js');
    const every = (value: string, flag: string) => {
      const ms = Number(value);
      if (!Number.isInteger(ms) || ms < 10 || ms > 3_600_000) {
        throw new InvalidArgumentError(`${flag} must be a whole number of ms from 10 to 3600000`);
      }
      return ms;
    };
    await runDemo({
      claimEveryMs: every(options.claimEvery, '--claim-every'),
      settleEveryMs: every(options.settleEvery, '--settle-every'),
    });
  });

program
  .command('bench')
  .description(
    'measure intake, adjudication, sealing, verification, settlement, reconciliation and the whole pipeline on scratch databases',
  )
  .option('--events <n>', 'events to create (at least 100000 for the recorded figures)', '100000')
  .option(
    '--suite <name>',
    "ledger, adjudication, settlement, reconciliation, pipeline, tlog, sealing (the tlog suite's sealing comparison alone) or all",
    'all',
  )
  .option('--claims <n>', 'claims to settle (100000 for the recorded figures)', '100000')
  .option(
    '--history <n>',
    'reconciliation: claims in the history (1000000 for the recorded figures)',
    '1000000',
  )
  .option('--rate <n>', 'pipeline: single claims offered per second', '1000')
  .option(
    '--seconds <n>',
    'pipeline: seconds the load is offered (and each batch step lasts)',
    '60',
  )
  .option(
    '--profile <dir>',
    "pipeline: write CPU profiles of the API's and the workers' processes into <dir>/api and <dir>/workers",
  )
  .option(
    '--tree-leaves <n>',
    'tlog: leaves of the transparency tree proofs are served from',
    '1000000',
  )
  .option(
    '--rounds <n>',
    'tlog and sealing: rounds of the sealing comparison (each seals 100000 events four ways, about a minute)',
    '5',
  )
  .action(
    async (options: {
      events: string;
      suite: string;
      claims: string;
      history: string;
      rate: string;
      seconds: string;
      profile?: string;
      treeLeaves: string;
      rounds: string;
    }) => {
      const { runBench, BENCH_SUITES } = await import('./bench.js');
      const suite = BENCH_SUITES.find((name) => name === options.suite);
      if (!suite) throw new InvalidArgumentError(`--suite must be ${BENCH_SUITES.join(', ')}`);
      const sealingRounds = Number(options.rounds);
      if (!Number.isSafeInteger(sealingRounds) || sealingRounds < 1 || sealingRounds > 100) {
        throw new InvalidArgumentError('--rounds must be a whole number from 1 to 100');
      }
      await runBench(suite, {
        events: Number(options.events),
        settlementClaims: Number(options.claims),
        historyClaims: Number(options.history),
        pipeline: {
          rate: Number(options.rate),
          seconds: Number(options.seconds),
          profileDirectory: options.profile && path.resolve(options.profile),
        },
        treeLeaves: Number(options.treeLeaves),
        sealingRounds,
      });
    },
  );

try {
  await program.parseAsync();
} catch (error) {
  if (
    error instanceof ConfigError ||
    error instanceof MigrationError ||
    error instanceof WitnessSetupError ||
    error instanceof WitnessStateError ||
    error instanceof PolicyError ||
    error instanceof NoteFormatError
  ) {
    console.error(error.message);
  } else if (error instanceof InvalidInput) {
    console.error(
      `${error.message}: ${error.problems.map((p) => `${p.field} ${p.message}`).join('; ')}`,
    );
  } else if (error instanceof DomainError) {
    console.error(error.message);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
}
