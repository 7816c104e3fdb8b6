import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { EventDefinition } from './event-definition';
import { formatValidationErrors } from './validate-event';
import { compiledPayloadValidator } from './validation/compiled-event-validator';

export type OutgoingValidationResult<T> = { ok: true; payload: T } | { ok: false; reasons: string[] };

/** A producer's check: unknown properties are refused, not stripped (a producer bug, never additive change). */
const OUTGOING_OPTIONS = { whitelist: true, forbidNonWhitelisted: true, forbidUnknownValues: true } as const;

/**
 * Checks a payload about to be emitted against its contract and gives the payload class's instance
 * to send. First with the event's compiled payload schema (validation/contract-schema.ts, unknown
 * properties refused), which accepts only what class-validator accepts and builds the same
 * instance; whatever it refuses goes through class-transformer + class-validator, which decide and
 * word the reasons (validateOutgoingWithClasses).
 */
export function validateOutgoingPayload<T extends object>(
  definition: EventDefinition<T>,
  data: T,
): OutgoingValidationResult<T> {
  const compiled = compiledPayloadValidator(definition);
  try {
    if (compiled?.validate(data)) return { ok: true, payload: compiled.build(data) as T };
  } catch {
    // Left to the class path, which decides and words the reasons.
  }
  return validateOutgoingWithClasses(definition, data);
}

/** The class-transformer + class-validator path of validateOutgoingPayload (its exceptions propagate). */
export function validateOutgoingWithClasses<T extends object>(
  definition: EventDefinition<T>,
  data: T,
): OutgoingValidationResult<T> {
  const payload = plainToInstance(definition.payload, data);
  const reasons = formatValidationErrors(validateSync(payload, OUTGOING_OPTIONS));
  return reasons.length > 0 ? { ok: false, reasons } : { ok: true, payload };
}
