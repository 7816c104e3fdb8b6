/** Adds a parameter to a statement being built and returns its placeholder (`$1`, `$2`, ...). */
export type Bind = (value: unknown) => string;

/**
 * One data-modifying CTE of a chained statement (an INSERT, UPDATE or DELETE with RETURNING).
 * With a `gate` (the name of an earlier link), it must write only for the rows that link returned,
 * i.e. select its rows `FROM <gate>`: nothing of it happens when the gate wrote nothing (e.g. an
 * `ON CONFLICT DO NOTHING` insert that met its row).
 */
export interface ChainLink {
  name: string;
  gate?: string;
  text(bind: Bind, gate: string | undefined): string;
}

/**
 * Several writes of different tables as one statement, so they need neither a transaction of their
 * own nor more than one round trip: Postgres applies all of a statement's CTEs or none. The statement
 * selects, per link, how many rows it returned (as `<name>`).
 */
export function chainStatement(links: readonly ChainLink[]): { text: string; params: unknown[] } {
  const params: unknown[] = [];
  const bind: Bind = (value) => `$${params.push(value)}`;
  const names = new Set<string>();
  const ctes = links.map((link) => {
    if (!/^[a-z_][a-z0-9_]*$/.test(link.name) || names.has(link.name))
      throw new Error(`chained statement: bad or repeated link name "${link.name}"`);
    if (link.gate !== undefined && !names.has(link.gate))
      throw new Error(`chained statement: link "${link.name}" gated by "${link.gate}", which does not precede it`);
    names.add(link.name);
    return `${link.name} AS (${link.text(bind, link.gate)})`;
  });
  const counts = links.map((l) => `(SELECT count(*) FROM ${l.name})::int AS ${l.name}`).join(', ');
  return { text: `WITH ${ctes.join(',\n')}\nSELECT ${counts}`, params };
}
