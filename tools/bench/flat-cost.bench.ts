import 'reflect-metadata';
import { Client } from 'pg';
import { LocalPlatform } from '../platform/local-platform';
import { benchLayout, describeMachine, percentile, printResult, round, runBench } from './bench-support';
import { makeOrders, onboard, withBenchPlatform, ZERO_LATENCY_SITE } from './bench-platform';

/**
 * Flat cost (issue 11, P6): per-tenant onboarding time with SEED tenants already in the database
 * against an empty one, same platform, same run. The seed clones the rows of the first T tenants
 * onboarded for real (every table of every service schema, ids and unique names remapped, spread
 * over 25 site ids as a site holds at most 500 vAS), so the tables hold what SEED onboarded tenants
 * leave behind. The simulator keeps only the real ones.
 * Usage: npm run bench:flat-cost [-- SEED T VMS]   (defaults 10000 20 2). Ends with one JSON line.
 */
const [SEED, T, VMS] = [Number(process.argv[2] ?? 10_000), Number(process.argv[3] ?? 20), Number(process.argv[4] ?? 2)];
const AT_ONCE = 4;

/** Columns whose values must stay unique across copies (besides uuids). */
const UNIQUE_TEXT = new Set(['order_id', 'name', 'admin_account_name', 'key']);
const NOT_CLONED = new Set(['migrations', 'site', 'site_preflight', 'dead_letter', 'backbone_ping_hop']);
/** Sites the seeded tenants are spread over (rows only; the simulator serves site-1). */
const SEED_SITES = 25;

async function cloneRows(copies: number): Promise<number> {
  const layout = benchLayout();
  const pg = new Client({ connectionString: layout.adminUrl.replace(/\/postgres$/, `/${layout.database}`) });
  await pg.connect();
  let rows = 0;
  try {
    // Copies of consistent rows: skip foreign-key checks and NOTIFY triggers while copying (superuser).
    await pg.query(`SET session_replication_role = replica`);
    for (const schema of layout.services.map((s) => s.schema)) {
      const tables = (
        await pg.query(
          `SELECT table_name AS t FROM information_schema.tables WHERE table_schema = $1 AND table_type = 'BASE TABLE'`,
          [schema],
        )
      ).rows as { t: string }[];
      for (const { t } of tables.filter((x) => !NOT_CLONED.has(x.t))) {
        const cols = (
          await pg.query(
            `SELECT column_name AS c, data_type AS type, column_default AS def FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position`,
            [schema, t],
          )
        ).rows as { c: string; type: string; def: string | null }[];
        const kept = cols.filter((c) => !(c.def ?? '').startsWith('nextval('));
        const expr = (c: { c: string; type: string }) =>
          c.type === 'uuid'
            ? `md5("${c.c}"::text || ':' || g)::uuid`
            : c.c === 'site_id'
              ? `"${c.c}" || '-seed' || (g % ${SEED_SITES})` // a site holds at most 500 vAS: the seed is spread over sites
              : UNIQUE_TEXT.has(c.c) && c.type === 'text'
                ? `"${c.c}" || '-' || g`
                : `"${c.c}"`;
        const r = await pg.query(
          `INSERT INTO "${schema}"."${t}" (${kept.map((c) => `"${c.c}"`).join(', ')}) SELECT ${kept.map(expr).join(', ')} FROM "${schema}"."${t}" CROSS JOIN generate_series(1, ${copies}) g`,
        );
        rows += r.rowCount ?? 0;
      }
    }
    await pg.query(`ANALYZE`);
  } finally {
    await pg.end();
  }
  return rows;
}

async function phase(p: LocalPlatform) {
  const r = await onboard(p, makeOrders(T, VMS), AT_ONCE);
  return {
    tenants: T,
    failed: r.failed,
    tenantsPerSecond: round((T / r.totalMs) * 1000, 2),
    p50Ms: Math.round(percentile(r.latenciesMs, 50)),
    p99Ms: Math.round(percentile(r.latenciesMs, 99)),
  };
}

async function main(): Promise<void> {
  const machine = await describeMachine();
  const figures = await withBenchPlatform('FLAT', ZERO_LATENCY_SITE, async (p) => {
    await onboard(p, makeOrders(2, VMS), AT_ONCE); // warm-up (connections, JIT), not measured
    const empty = await phase(p);
    const copies = Math.max(1, Math.ceil(SEED / T));
    const t0 = Date.now();
    const clonedRows = await cloneRows(copies);
    const seedSeconds = round((Date.now() - t0) / 1000, 1);
    console.log(`seeded ${copies * T} tenants (${clonedRows} rows) in ${seedSeconds} s`);
    const seeded = await phase(p);
    return {
      seededTenants: copies * T,
      seededRows: clonedRows,
      seedSeconds,
      empty,
      seeded,
      p50SeededOverEmpty: empty.p50Ms > 0 ? round(seeded.p50Ms / empty.p50Ms, 2) : null,
      throughputEmptyOverSeeded:
        seeded.tenantsPerSecond > 0 ? round(empty.tenantsPerSecond / seeded.tenantsPerSecond, 2) : null,
    };
  });
  console.log('flat cost:', JSON.stringify(figures));
  printResult('flat-cost', machine, figures);
}

runBench(main);
