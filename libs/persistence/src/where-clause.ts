/**
 * A WHERE clause that ANDs the given filter conditions, and its parameters. Each condition is the
 * code's own SQL with `$?` where its value goes (numbered `$1`, `$2`, … in order); a condition whose
 * value is absent (undefined, null or an empty string) is left out. Values only ever go in as
 * parameters. An empty array is a value: `site_id = ANY($?)` with `[]` matches no row.
 */
export function whereClause(conditions: readonly (readonly [sql: string, value: unknown])[]): {
  clause: string;
  params: unknown[];
} {
  const where: string[] = [];
  const params: unknown[] = [];
  for (const [sql, value] of conditions) {
    if (value === undefined || value === null || value === '') continue;
    if (sql.split('$?').length !== 2) throw new Error(`a filter condition takes one $? placeholder: ${sql}`);
    where.push(sql.replace('$?', `$${params.push(value)}`));
  }
  return { clause: where.length ? `WHERE ${where.join(' AND ')}` : '', params };
}
