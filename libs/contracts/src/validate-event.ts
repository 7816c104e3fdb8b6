import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { EventEnvelope } from './envelope/event-envelope';
import { EventDefinition } from './event-definition';
import { compiledEventValidator } from './validation/compiled-event-validator';

export type EventValidationResult<T> =
  | { ok: true; envelope: EventEnvelope<T> }
  /** `envelope` is set when only the payload failed: the event is well-formed but its data is not. */
  | { ok: false; reasons: string[]; eventId?: string; envelope?: EventEnvelope<unknown> };

/** Flattens class-validator errors to `path: constraint message` lines. */
export function formatValidationErrors(errors: ValidationError[], parent = ''): string[] {
  return errors.flatMap((e) => {
    const path = parent ? `${parent}.${e.property}` : e.property;
    const own = Object.values(e.constraints ?? {}).map((m) => `${path}: ${m}`);
    return [...own, ...formatValidationErrors(e.children ?? [], path)];
  });
}

const VALIDATOR_OPTIONS = { whitelist: true, forbidUnknownValues: true } as const;

/**
 * Validates a decoded message against the shared envelope and the event's payload class.
 * Unknown payload properties are stripped, not refused: changes inside a version are additive.
 *
 * First with the event's compiled JSON schema (generated from the same decorators, see
 * validation/contract-schema.ts), which accepts only what class-validator accepts and builds the
 * same instances: one pass, no class-transformer. Whatever it refuses goes through
 * class-transformer + class-validator as before, which decides, and words the reasons.
 */
export function validateEvent<T extends object>(
  raw: unknown,
  definition: EventDefinition<T>,
): EventValidationResult<T> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reasons: ['message is not a JSON object'] };
  }
  const compiled = compiledEventValidator(definition);
  if (compiled?.validate(raw))
    return { ok: true, envelope: compiled.build(raw as Record<string, unknown>) as EventEnvelope<T> };
  return validateWithClasses(raw, definition);
}

/** The class-transformer + class-validator path (the decorators' own judgement and messages). */
export function validateWithClasses<T extends object>(
  raw: object,
  definition: EventDefinition<T>,
): EventValidationResult<T> {
  const eventId = typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
  const envelope = plainToInstance(EventEnvelope, raw) as EventEnvelope<T>;
  const envelopeErrors = formatValidationErrors(validateSync(envelope, VALIDATOR_OPTIONS));
  if (envelope.type !== undefined && envelope.type !== definition.type) {
    envelopeErrors.push(`type: expected ${definition.type}, got ${String(envelope.type)}`);
  }
  if (envelopeErrors.length > 0) return { ok: false, reasons: envelopeErrors, eventId };
  const payload = plainToInstance(definition.payload, envelope.data);
  const payloadErrors = formatValidationErrors(validateSync(payload, VALIDATOR_OPTIONS), 'data');
  if (payloadErrors.length > 0)
    return { ok: false, reasons: payloadErrors, eventId, envelope: envelope as EventEnvelope<unknown> };
  envelope.data = payload;
  return { ok: true, envelope };
}
