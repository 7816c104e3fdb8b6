import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KSC_METHOD_CATALOG, KSC_TASK_TYPE_CATALOG } from './method-catalog';

/**
 * Calls the catalog still lists as wrong, each with the issue that fixes it. The test fails both
 * when a new unlisted name appears and when a listed one disappears (then drop it here).
 */
const PENDING_CORRECTIONS: readonly string[] = [];

interface Call {
  file: string;
  method: string;
  params: string[];
}

/** Top-level keys of the object literal starting at `src[start] === '{'` (nested containers skipped). */
function topLevelKeys(src: string, start: number): string[] {
  const keys: string[] = [];
  let depth = 0;
  let expectKey = false;
  for (let i = start; i < src.length; i++) {
    const c = src[i];
    if (/\s/.test(c)) continue;
    if (c === "'" || c === '"' || c === '`') {
      const end = src.indexOf(c, i + 1);
      i = end < 0 ? src.length : end;
      expectKey = false;
      continue;
    }
    if (c === '{' || c === '[' || c === '(') {
      depth++;
      expectKey = depth === 1;
    } else if (c === '}' || c === ']' || c === ')') {
      depth--;
      if (depth === 0) break;
    } else if (depth === 1 && c === ',') {
      expectKey = true;
    } else if (depth === 1 && expectKey) {
      const m = /^(?:\.\.\.)?([A-Za-z_]\w*)/.exec(src.slice(i));
      if (m && !m[0].startsWith('...')) keys.push(m[1]);
      if (m) i += m[0].length - 1;
      expectKey = false;
    } else {
      expectKey = false;
    }
  }
  return keys;
}

function scan(dir: string): {
  calls: Call[];
  names: { file: string; method: string }[];
  taskNames: { file: string; name: string }[];
} {
  const calls: Call[] = [];
  const names: { file: string; method: string }[] = [];
  const taskNames: { file: string; name: string }[] = [];
  for (const f of readdirSync(dir).filter(
    (x) => x.endsWith('.ts') && !x.endsWith('.spec.ts') && x !== 'method-catalog.ts',
  )) {
    const src = readFileSync(join(dir, f), 'utf8');
    for (const m of src.matchAll(/'([A-Z][A-Za-z0-9]*\.[A-Z][A-Za-z0-9_]*)'/g)) names.push({ file: f, method: m[1] });
    for (const m of src.matchAll(/\b(?:call|invoke|int)(?:<[^>]*>)?\(\s*'([A-Za-z0-9_.]+)'\s*(,\s*)?/g)) {
      const after = m.index! + m[0].length;
      calls.push({ file: f, method: m[1], params: m[2] && src[after] === '{' ? topLevelKeys(src, after) : [] });
    }
    for (const m of src.matchAll(/\b(?:taskName|TASK_NAME):\s*'([^']+)'/g)) taskNames.push({ file: f, name: m[1] });
  }
  return { calls, names, taskNames };
}

describe('KSC method catalog (every method and parameter name the clients send)', () => {
  const { calls, names, taskNames } = scan(__dirname);

  it('finds the calls it checks', () => {
    expect(calls.length).toBeGreaterThan(50);
    expect(calls.find((c) => c.method === 'Tasks.AddHostToTask')?.params).toEqual(['strTask', 'strHostName']);
  });

  it('lists every method name that appears in the client sources', () => {
    const missing = [...new Set(names.map((n) => n.method))].filter((m) => !KSC_METHOD_CATALOG[m]);
    expect(missing).toEqual([]);
  });

  it('lists every top-level parameter each call sends, or names it as a pending correction', () => {
    const wrong = calls.flatMap((c) =>
      c.params.filter((p) => !KSC_METHOD_CATALOG[c.method]?.params.includes(p)).map((p) => `${c.method} ${p}`),
    );
    expect([...new Set(wrong)].sort()).toEqual([...PENDING_CORRECTIONS].sort());
  });

  it('sends only catalogued task types', () => {
    expect(taskNames.filter((t) => !KSC_TASK_TYPE_CATALOG[t.name])).toEqual([]);
  });

  it('labels every entry DOCUMENTED with a reference section, or ASSUMPTION with where to verify it', () => {
    for (const [method, e] of Object.entries({ ...KSC_METHOD_CATALOG, ...KSC_TASK_TYPE_CATALOG })) {
      expect([method, e.status]).toEqual([method, expect.stringMatching(/^(DOCUMENTED|ASSUMPTION)$/)]);
      if (e.status === 'DOCUMENTED') expect([method, e.source]).toEqual([method, expect.stringMatching(/§\d/)]);
      else expect([method, e.source.length]).toEqual([method, expect.any(Number)]);
    }
  });

  it('does not send the invented names issue 8 removed', () => {
    expect(taskNames.map((t) => t.name)).not.toContain('KLRI_TASK_REMOTE_INSTALL');
    const sources = readdirSync(__dirname)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))
      .map((f) => readFileSync(join(__dirname, f), 'utf8'));
    expect(sources.filter((s) => s.includes("'KLRI_TASK_REMOTE_INSTALL'"))).toEqual([]);
    // Policy settings are never attributes (addendum §0): no KLPOL_SETTINGS / KLPOL_LOCKED, no SsContents_Update.
    expect(sources.filter((s) => /\bKLPOL_(SETTINGS|LOCKED)\b|SsContents_Update/.test(s))).toEqual([]);
    expect(calls.filter((c) => c.method.startsWith('Policy.') && c.params.includes('pData'))).toEqual([]);
  });
});
