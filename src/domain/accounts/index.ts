// The accounts area's entry module: what other areas, the API, the CLI and the workers use of it.
// Only this area's code touches its tables; everyone else comes through here (eslint.config.js).
export { balancesOf } from './balances.js';
export {
  type AccountKey,
  accountKeyText,
  type AccountPurpose,
  claimDecisionPostings,
  type JournalEntryInput,
  type Posting,
  postJournalEntries,
  postJournalEntry,
  settlementPostings,
} from './journal.js';
export {
  journalEntryCount,
  journalEntryTotals,
  keptAccountBalances,
  postingsTotalsByAccount,
} from './journal-totals.js';
