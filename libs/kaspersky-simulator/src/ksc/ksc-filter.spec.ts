import { compileFilter, KscFilterError } from './ksc-filter';

const host = {
  KLHST_WKS_DN: 'acme-vm01',
  KLHST_WKS_FQDN: 'acme-vm01.acme.local',
  KLHST_WKS_GROUPID: 231,
  KLHST_WKS_STATUS: 29,
  KLHST_WKS_FROM_UNASSIGNED: true,
  KLHST_WKS_LAST_VISIBLE: new Date('2021-03-19T16:18:53Z'),
};

const matches = (filter: string, record: Record<string, unknown> = host) => compileFilter(filter)(record);

describe('wstrFilter evaluator', () => {
  it('matches everything for an empty filter', () => {
    expect(matches('')).toBe(true);
    expect(matches('   ')).toBe(true);
  });

  it('compares quoted strings exactly and with * wildcards', () => {
    expect(matches('(KLHST_WKS_DN="acme-vm01")')).toBe(true);
    expect(matches('(KLHST_WKS_DN="acme-*")')).toBe(true);
    expect(matches('(KLHST_WKS_DN="*vm0?")')).toBe(false);
    expect(matches('(KLHST_WKS_FQDN="*.acme.local")')).toBe(true);
    expect(matches('(KLHST_WKS_DN="globex-*")')).toBe(false);
    expect(matches('(KLHST_WKS_DN<>"acme-*")')).toBe(false);
  });

  it('ignores case by default and can be made case-sensitive', () => {
    expect(matches('(KLHST_WKS_DN="ACME-VM01")')).toBe(true);
    expect(compileFilter('(KLHST_WKS_DN="ACME-VM01")', { caseInsensitive: false })(host)).toBe(false);
  });

  it('compares numbers with every operator, with or without spaces', () => {
    expect(matches('(KLHST_WKS_GROUPID=231)')).toBe(true);
    expect(matches('(KLHST_WKS_GROUPID <> 231)')).toBe(false);
    expect(matches('(KLHST_WKS_GROUPID < 300)')).toBe(true);
    expect(matches('(KLHST_WKS_GROUPID > 300)')).toBe(false);
    expect(matches('(KLHST_WKS_GROUPID <= 231)')).toBe(true);
    expect(matches('(KLHST_WKS_GROUPID >= 232)')).toBe(false);
    expect(matches('(KLHST_WKS_GROUPID="231")')).toBe(true);
  });

  it('compares strings by order', () => {
    expect(matches('(KLHST_WKS_DN>"acme-vm00")')).toBe(true);
    expect(matches('(KLHST_WKS_DN<"acme")')).toBe(false);
  });

  it('compares datetimes and booleans', () => {
    expect(matches('(KLHST_WKS_LAST_VISIBLE>"2020-03-31T19:00:00Z")')).toBe(true);
    expect(matches('(KLHST_WKS_LAST_VISIBLE<"2020-03-31T19:00:00Z")')).toBe(false);
    expect(matches('(KLHST_WKS_FROM_UNASSIGNED=true)')).toBe(true);
    expect(matches('(KLHST_WKS_FROM_UNASSIGNED=0)')).toBe(false);
  });

  it('combines with and, or and not', () => {
    expect(matches('(&(KLHST_WKS_GROUPID=231)(KLHST_WKS_DN="acme-*"))')).toBe(true);
    expect(matches('(&(KLHST_WKS_GROUPID=231)(KLHST_WKS_DN="globex-*"))')).toBe(false);
    expect(matches('(|(KLHST_WKS_GROUPID=1)(KLHST_WKS_DN="acme-*"))')).toBe(true);
    expect(matches('(!(KLHST_WKS_DN="acme-*"))')).toBe(false);
    expect(
      matches(
        '(& (KLHST_WKS_GROUPID >= 200) (!(KLHST_WKS_GROUPID = 232)) (|(KLHST_WKS_DN="x")(KLHST_WKS_FQDN="acme*")))',
      ),
    ).toBe(true);
  });

  it('supports the bit test form', () => {
    expect(matches('(KLHST_WKS_STATUS&4<>0)')).toBe(true);
    expect(matches('(KLHST_WKS_STATUS&2<>0)')).toBe(false);
  });

  it('treats a missing attribute as matching only "not equal"', () => {
    expect(matches('(KLHST_WKS_NAG_VERSION="*")')).toBe(false);
    expect(matches('(KLHST_WKS_NAG_VERSION<>"15")')).toBe(true);
  });

  it('handles escaped quotes inside values', () => {
    expect(matches('(name="say \\"hi\\"")', { name: 'say "hi"' })).toBe(true);
  });

  it('rejects malformed filters', () => {
    for (const bad of [
      'KLHST_WKS_DN="x"',
      '(KLHST_WKS_DN="x"',
      '(KLHST_WKS_DN "x")',
      '(&)',
      '(a="x")junk',
      '(a="unterminated)',
    ]) {
      expect(() => compileFilter(bad)).toThrow(KscFilterError);
    }
  });
});
