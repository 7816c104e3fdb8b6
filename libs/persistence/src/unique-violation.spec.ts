import { violatedUniqueConstraint } from './unique-violation';

describe('violatedUniqueConstraint', () => {
  it('names the constraint of a unique violation', () => {
    expect(
      violatedUniqueConstraint(Object.assign(new Error('dup'), { code: '23505', constraint: 'tenant_order_uq' })),
    ).toBe('tenant_order_uq');
    expect(violatedUniqueConstraint({ code: '23505' })).toBe('');
  });

  it('is undefined for anything else', () => {
    expect(
      violatedUniqueConstraint(Object.assign(new Error('fk'), { code: '23503', constraint: 'x' })),
    ).toBeUndefined();
    expect(violatedUniqueConstraint(new Error('boom'))).toBeUndefined();
    expect(violatedUniqueConstraint(undefined)).toBeUndefined();
  });
});
