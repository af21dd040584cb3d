// The interchanges area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export { type Receipt, receiveProfessionalClaims } from './receive.js';
export {
  getInterchange,
  listInterchanges,
  nextAnswerControlNumber,
  type StoredInterchange,
} from './store.js';
