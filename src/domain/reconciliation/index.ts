// The reconciliation area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export {
  getRun,
  lastFullRunAt,
  latestCompletedRunExceptionCount,
  listRuns,
  runListQuery,
  runReconciliation,
} from './service.js';
