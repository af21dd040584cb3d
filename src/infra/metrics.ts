// Prometheus metrics (prom-client). Each process has one registry and serves it at /metrics:
// the API on its own port, a workers-only process on METRICS_PORT. Labels hold route patterns,
// queue names, outcomes and claim statuses, never ids or patient data, so the series stay few
// and carry no PHI.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';

/** Seconds; from a fast read to a request held by a slow database. */
const HTTP_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds; a job may seal 100 blocks of 10,000 events or decide 1,000 claims. */
const JOB_SECONDS_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'method' | 'route' | 'status'>;
  httpRequestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Scheduled jobs by queue and outcome (completed, failed). */
  jobs: Counter<'queue' | 'outcome'>;
  jobDuration: Histogram<'queue' | 'outcome'>;
  /** One claim's adjudication, by outcome (decided, skipped, failed). */
  adjudicationDuration: Histogram<'outcome'>;
  /** One sealing run: every block it sealed. */
  sealDuration: Histogram;
  sealedBlocks: Counter;
  sealedEvents: Counter;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'claimchain_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    }),
    httpRequestDuration: new Histogram({
      name: 'claimchain_http_request_duration_seconds',
      help: 'Time from receiving an HTTP request to finishing its answer',
      labelNames: ['method', 'route', 'status'],
      buckets: HTTP_SECONDS_BUCKETS,
      registers,
    }),
    jobs: new Counter({
      name: 'claimchain_jobs_total',
      help: 'Queue jobs run by this process, by queue and outcome',
      labelNames: ['queue', 'outcome'],
      registers,
    }),
    jobDuration: new Histogram({
      name: 'claimchain_job_duration_seconds',
      help: 'Time one queue job took, by queue and outcome',
      labelNames: ['queue', 'outcome'],
      buckets: JOB_SECONDS_BUCKETS,
      registers,
    }),
    adjudicationDuration: new Histogram({
      name: 'claimchain_adjudication_duration_seconds',
      help: 'Time to adjudicate one claim (its transaction), by outcome: decided, skipped, failed',
      labelNames: ['outcome'],
      buckets: HTTP_SECONDS_BUCKETS,
      registers,
    }),
    sealDuration: new Histogram({
      name: 'claimchain_seal_duration_seconds',
      help: 'Time one sealing run took to seal the pending events into blocks',
      buckets: JOB_SECONDS_BUCKETS,
      registers,
    }),
    sealedBlocks: new Counter({
      name: 'claimchain_sealed_blocks_total',
      help: 'Ledger blocks sealed by this process',
      registers,
    }),
    sealedEvents: new Counter({
      name: 'claimchain_sealed_events_total',
      help: 'Ledger events sealed into blocks by this process',
      registers,
    }),
  };
}

/** Seconds since `startedAt` (from process.hrtime.bigint()). */
export function secondsSince(startedAt: bigint): number {
  return Number(process.hrtime.bigint() - startedAt) / 1e9;
}
