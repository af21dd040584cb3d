// Comparing a presented secret with the expected one in constant time (both are hashed first, so
// their lengths do not leak either).
import { createHash, timingSafeEqual } from 'node:crypto';

export function safeEqual(presented: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
