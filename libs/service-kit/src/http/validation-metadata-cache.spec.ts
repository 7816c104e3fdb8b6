import 'reflect-metadata';
import { getMetadataStorage, IsIn, IsInt, IsOptional, Max, MinLength, validate, validateSync } from 'class-validator';
import { memoizeValidationMetadata } from './validation-metadata-cache';

class Page {
  @IsOptional() @IsInt() @Max(100) limit?: unknown;
}

class TenantFilter extends Page {
  @IsOptional() @IsIn(['ready', 'failed']) status?: unknown;
  @IsOptional() @MinLength(3, { groups: ['strict'] }) siteId?: unknown;
}

const inputs: Record<string, unknown>[] = [
  {},
  { limit: 20 },
  { limit: 101 },
  { limit: 'x', status: 'nope' },
  { status: 'ready', siteId: 'ab' },
  { unknown: 1 },
];
const optionsList = [
  { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true },
  { groups: ['strict'] },
  { groups: ['strict'], strictGroups: true },
  { strictGroups: true },
  { always: true },
];

/** Every (input, options) pair's errors, as property → failed constraints. */
async function outcomes() {
  const all: unknown[] = [];
  for (const options of optionsList)
    for (const input of inputs)
      for (const run of [(o: object) => Promise.resolve(validateSync(o, options)), (o: object) => validate(o, options)])
        all.push(
          (await run(Object.assign(new TenantFilter(), input))).map((e) => [
            e.property,
            Object.keys(e.constraints ?? {}),
          ]),
        );
  return all;
}

describe('memoizeValidationMetadata', () => {
  it('gives every validation the same errors as before, with and without groups, inherited rules included', async () => {
    const before = await outcomes();
    expect(before.some((e) => (e as unknown[]).length > 0)).toBe(true); // the cases do fail somewhere
    memoizeValidationMetadata();
    memoizeValidationMetadata(); // idempotent
    expect(await outcomes()).toEqual(before);
  });

  it('resolves a class once per options: later validations do not scan the registered classes again', async () => {
    memoizeValidationMetadata();
    const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<object, unknown[]> };
    const scan = jest.spyOn(storage.validationMetadatas, 'entries');
    validateSync(Object.assign(new TenantFilter(), { limit: 1 }));
    const first = scan.mock.calls.length;
    for (let i = 0; i < 5; i++) validateSync(Object.assign(new TenantFilter(), { limit: i }));
    expect(scan.mock.calls.length).toBe(first);
    scan.mockRestore();
  });

  it('a class declared afterwards is validated by its own and its inherited rules', () => {
    memoizeValidationMetadata();
    class Later extends Page {
      @IsIn(['a']) kind?: unknown;
    }
    expect(validateSync(Object.assign(new Later(), { kind: 'a', limit: 5 }))).toEqual([]);
    expect(
      validateSync(Object.assign(new Later(), { kind: 'b', limit: 500 }))
        .map((e) => e.property)
        .sort(),
    ).toEqual(['kind', 'limit']);
  });
});
