import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

/** A class, as class-validator keys its rules. */
type Constructor = abstract new (...args: never[]) => unknown;

type Lookup = (
  targetConstructor: Constructor,
  targetSchema: string,
  always: boolean,
  strictGroups: boolean,
  groups?: string[],
) => ValidationMetadata[];

const MEMOIZED = Symbol.for('tpo.validationMetadataMemoized');

/**
 * class-validator (0.14) resolves a class's rules on every `validate` by scanning every decorated
 * class of the process for ancestors (`MetadataStorage.getTargetValidationMetadatas`, O(all classes);
 * typestack/class-validator#2686). In tenant-service's profile of the tenant list, validating `?limit=20`
 * took 17% of a request's CPU, 11% with this (docs/performance.md 11.r). A class's own and inherited
 * rules are all registered when its module loads, before anything can validate an instance of it, so
 * the answer for a given class and options never changes afterwards: this remembers it (per class in a
 * WeakMap, per always/strictGroups/groups within). Lookups for a named schema (`validate(schemaName,
 * object)`, rules that `registerSchema` may add at any time) are not remembered. The remembered lists
 * are frozen: class-validator only reads them.
 *
 * It changes class-validator's metadata storage for the whole process, so it is installed once, at
 * boot, by `createServiceApp` before the global ValidationPipe; a process that does not start through
 * it (the CLI, unit tests) validates as before. Idempotent.
 */
export function memoizeValidationMetadata(): void {
  const storage = getMetadataStorage() as unknown as { getTargetValidationMetadatas: Lookup; [MEMOIZED]?: true };
  if (storage[MEMOIZED]) return;
  const lookup = storage.getTargetValidationMetadatas.bind(storage) as Lookup;
  const byClass = new WeakMap<Constructor, Map<string, readonly ValidationMetadata[]>>();
  storage.getTargetValidationMetadatas = (targetConstructor, targetSchema, always, strictGroups, groups) => {
    // A named schema's rules can be registered at any time: looked up every time, as before.
    if (targetSchema || typeof targetConstructor !== 'function')
      return lookup(targetConstructor, targetSchema, always, strictGroups, groups);
    let forClass = byClass.get(targetConstructor);
    if (!forClass) byClass.set(targetConstructor, (forClass = new Map()));
    const key = `${always}\u0000${strictGroups}\u0000${groups?.join('\u0001') ?? ''}\u0000${groups ? 1 : 0}`;
    let found = forClass.get(key);
    if (!found)
      forClass.set(key, (found = Object.freeze(lookup(targetConstructor, targetSchema, always, strictGroups, groups))));
    return found as ValidationMetadata[];
  };
  storage[MEMOIZED] = true;
}
