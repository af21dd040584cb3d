// The adjudication area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export {
  type DenialReason,
  denialReasonsOf,
  latestDecisionOf,
  latestDecisionsOf,
  latestPaidAmountsOf,
  latestPaidTotalsByGroup,
  paidAmountsAsOf,
} from './decisions.js';
export { adjudicationFailureCounts } from './failures.js';
export { type AccumulatorLevel, readAccumulatorAmounts } from './family.js';
export { decidePendedClaim, listReviewQueue, manualDecisionSchema } from './review.js';
export { recordDecision } from './service.js';
export { adjudicateSubmitted } from './sweep.js';
