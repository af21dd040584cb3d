// The inquiries area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export { inquirerOf } from './access.js';
export {
  answerClaimStatus,
  assertOwnProviderNpis,
  CLAIM_STATUS_QUESTIONS_MAX,
} from './claim-status-service.js';
export { answerEligibility, ELIGIBILITY_QUESTIONS_MAX } from './eligibility-service.js';
