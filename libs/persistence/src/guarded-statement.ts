/**
 * One data-modifying statement (a single INSERT ... SELECT, UPDATE or DELETE, without RETURNING)
 * that applies only while a condition holds, so that it can be combined with others into a single
 * statement. `text(held)` returns the statement with `held`, a boolean SQL expression, ANDed into
 * its WHERE (an INSERT selects its rows `WHERE held`). Parameters are `$1`..`$n` of `params`.
 * The job machinery (`@tpo/jobs`, FencedStatement) passes a lease check as `held`.
 */
export interface GuardedStatement {
  text(held: string): string;
  params: unknown[];
  /**
   * Called by whoever ran the statement once it applied (`held` was true), before the transaction
   * in scope (if any) ends; it defers its own action to the commit (UnitOfWork.onSettled). The
   * outbox uses it to hand the rows it wrote to the local relay (OutboxRepository.onCommitted).
   */
  applied?: () => void;
}

/**
 * A statement's `$n` placeholders renumbered to `$(n + offset)`, to place several statements'
 * parameters side by side in one statement. Statement texts are this code's own constants, never
 * data: no `$n` appears inside a literal (values always travel as parameters).
 */
export function shiftPlaceholders(text: string, offset: number): string {
  return offset === 0 ? text : text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`);
}

/**
 * `statements` as the CTEs `w0`, `w1`, ... of one statement, each applying only while `held` holds,
 * their parameters appended to `params` (placeholders shifted past what is already there). With
 * `returning`, each CTE returns a row per row it wrote (`SELECT count(*) FROM w<i>` counts them).
 * The one way statements are combined: combinedStatement here, and the job's fenced writes and end
 * (JobRepository.writeFenced, endFenced) with the lease as `held`.
 */
export function guardedCtes(
  statements: readonly GuardedStatement[],
  held: string,
  params: unknown[],
  returning: boolean,
): string[] {
  return statements.map((st, i) => {
    const text = shiftPlaceholders(st.text(held), params.length);
    params.push(...st.params);
    return `w${i} AS (${text}${returning ? ' RETURNING 1' : ''})`;
  });
}

/**
 * Several guarded statements (of different tables) as one statement that always applies (`held` is
 * `true`): Postgres applies all of a statement's CTEs or none, in one round trip. After running it,
 * call `applied()`, which calls each statement's own `applied`.
 */
export function combinedStatement(statements: readonly GuardedStatement[]): {
  text: string;
  params: unknown[];
  applied(): void;
} {
  if (statements.length === 0) throw new Error('combinedStatement: no statements');
  const params: unknown[] = [];
  const ctes = guardedCtes(statements, 'true', params, true);
  return {
    text: `WITH ${ctes.join(',\n     ')}\nSELECT ${statements.map((_, i) => `(SELECT count(*) FROM w${i})::int AS w${i}`).join(', ')}`,
    params,
    applied: () => {
      for (const st of statements) st.applied?.();
    },
  };
}
