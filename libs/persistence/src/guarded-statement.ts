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
