// The payers area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export { payerOrgOf } from './access.js';
export { type MemberBenefits, readMemberBenefits } from './benefits.js';
export {
  addCoverage,
  inForceOn,
  listCoverages,
  readAppliedCoverages,
  readAppliedCoveragesOf,
  updateCoverage,
} from './coverages.js';
export {
  type PayerConfiguration,
  PayerConfigurationCache,
  payerConfigurationCacheOf,
} from './configuration.js';
export { patientIndexOf } from './dependents.js';
export { type FeeScheduleTerms, listFeeSchedule, setFeeScheduleEntries } from './fee-schedule.js';
export { feeScheduleEntriesOf, feeScheduleEntriesOfCsv } from './fee-schedule-input.js';
export { enrollMember, getMember } from './members.js';
export { type ClaimPatient, findClaimPatient, findClaimPatients } from './patients.js';
export { createPlan, getPlan, listPlans, planTermsOf, updatePlan } from './plans.js';
export {
  type AuthorizationHolder,
  authorizationHolderKey,
  createPriorAuthorization,
  listPriorAuthorizations,
  lockAuthorizationsOfHolders,
  moveAuthorizationUnits,
} from './prior-authorizations.js';
export { getPayerRules, setPayerRules } from './rules.js';
