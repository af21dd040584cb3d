// The settlement area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export {
  type BatchClaimLineKey,
  batchClaimLinesPage,
  type BatchTotals,
  batchTotalsIssuedSince,
  confirmationsSince,
  settlementBatchCount,
} from './batch-totals.js';
export { type ClaimPayment, paymentsOfClaims } from './payments.js';
export {
  type RecoupmentAccount,
  recoupmentAccountsOf,
  type RecoupmentWithoutReversal,
  recoupmentsWithoutReversal,
  type ReversalOfClaim,
  recordReversal,
} from './recoupments.js';
export { loadRemittance } from './remittance.js';
export { getSchedule, scheduleSchema, setSchedule } from './schedule.js';
export {
  batchesMadeBetween,
  batchListQuery,
  confirmationSchema,
  confirmBatch,
  getBatch,
  listBatches,
  reopenBatch,
  reopeningSchema,
  settleAllPayers,
  settlePayer,
} from './service.js';
