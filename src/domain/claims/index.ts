// The claims area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export {
  type ClaimLineRow,
  type ClaimToDecide,
  claimStatusesOf,
  findPaidClaimLines,
  lockClaim,
  type PaidClaimLine,
  type PaidLinesQuestion,
  readLinesOf,
  readLinesOfClaim,
  setClaimStatuses,
  type SubmittedClaimsSelection,
  takeSubmittedClaims,
} from './deciding.js';
export { IntakeGroup } from './group.js';
export {
  type ClaimOutcome,
  type ClaimSummary,
  findIdempotencyRecord,
  type IntakeEntry,
  type IntakeUnit,
  type ResponseOf,
  type UnitResult,
  writeIntakeUnits,
} from './intake.js';
export { CLAIM_STATUSES, getClaim, getClaimAndDecision, listClaims } from './query.js';
export {
  type BilledClaim,
  type BilledLine,
  lockPayableClaims,
  providersWithPayableClaims,
  readBilledClaims,
} from './settling.js';
export { claimStats, claimStatsQuerySchema, countClaimsByStatus } from './stats.js';
export {
  categoryOf,
  type ClaimStatusRow,
  findClaimsByControlNumber,
  type StatusCategory,
  statusCategoryOf,
} from './status.js';
export {
  type ClaimSet,
  claimsById,
  claimsSubmittedIn,
  paramAfter,
  pendedClaimsOf,
} from './sets.js';
