import { describe, expect, it } from 'vitest';
import { BENCH_MEMBERS, benchMembersFor, claimant } from '../../src/cli/bench.js';

// The bench's claims all bill the same codes: a member's second claim on one day is a
// duplicate, denied CO-18, and a bench of duplicates would measure denials.
describe("the bench's claimants", () => {
  it('repeat no (member, service date) below members × 300 claims, and repeat the first one there', () => {
    const members = 7;
    const seen = new Set<string>();
    for (let index = 0; index < members * 300; index++) {
      seen.add(claimant(index, members).join('|'));
    }
    expect(seen.size).toBe(2_100);
    expect(claimant(2_100, members)).toEqual(claimant(0, members));
    expect(claimant(0, members)).toEqual(['2026-01-01', 'BENCH-0']);
    expect(claimant(2_099, members)).toEqual(['2026-10-27', 'BENCH-6']);
  });

  it('are spread over enough members for the claims asked, never fewer than the suites’ 200', () => {
    expect(BENCH_MEMBERS).toBe(200);
    expect(benchMembersFor(10_000)).toBe(200);
    expect(benchMembersFor(60_000)).toBe(200);
    expect(benchMembersFor(60_001)).toBe(201);
    expect(benchMembersFor(1_771_650)).toBe(5_906);
  });
});
