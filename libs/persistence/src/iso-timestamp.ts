/**
 * A `timestamptz` column as the text a REST answer shows, formatted by Postgres: ISO 8601 in UTC with
 * milliseconds, exactly what `Date.prototype.toISOString()` gives for the Date that `pg` would parse
 * from it (sub-millisecond digits truncated, as `pg` does). For read models that go straight to JSON:
 * parsing each timestamp into a Date and serialising it back cost ~2 µs of the service's CPU per value
 * (a tenant page of 20 has 60), against ~0.3 µs in Postgres. `column` must be the code's own SQL (a
 * column or expression), never input. Years 1000–9999 only (the format has four year digits).
 */
export function isoTimestampSql(column: string): string {
  return `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}
