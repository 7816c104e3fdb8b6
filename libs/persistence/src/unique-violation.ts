/** Postgres SQLSTATE for `unique_violation`. */
const UNIQUE_VIOLATION = '23505';

/**
 * The name of the unique constraint a database error violated, or undefined for any other error.
 * For repositories only: they translate it into a domain error, so no use case reads SQLSTATEs.
 */
export function violatedUniqueConstraint(error: unknown): string | undefined {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  if (!e || e.code !== UNIQUE_VIOLATION) return undefined;
  return typeof e.constraint === 'string' ? e.constraint : '';
}
