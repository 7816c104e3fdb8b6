import { randomInt } from 'node:crypto';

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
/** From the Integration Server's allowed punctuation (integration-server-api.md §1.2), minus quotes and backslash. */
const SYMBOLS = '!#$%()*+,-.:;=?@[]^_{}~';

/**
 * A strong random password for a tenant admin account: 24 characters (≤ 60 allowed), all four
 * character classes, from the CSPRNG. It exists in plaintext only in memory, on its way into the
 * envelope cipher and the Kaspersky request.
 */
export function generateAdminPassword(length = 24): string {
  const all = LOWER + UPPER + DIGITS + SYMBOLS;
  const chars = [LOWER, UPPER, DIGITS, SYMBOLS].map((set) => set[randomInt(set.length)]);
  while (chars.length < length) chars.push(all[randomInt(all.length)]);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j], chars[i]];
  }
  return chars.join('');
}
