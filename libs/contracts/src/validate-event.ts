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
  try {
    if (compiled?.validate(raw))
      return { ok: true, envelope: compiled.build(raw as Record<string, unknown>) as EventEnvelope<T> };
  } catch {
    // Left to the class path, which decides and words the reasons (and never throws either).
  }
  return validateWithClasses(raw, definition);
}

/** The reason given for input that made a validator or transformer throw: refused, never retried. */
function unvalidatable(what: 'message' | 'payload', error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return `${what === 'payload' ? 'data: ' : ''}${what} could not be validated: ${message}`;
}

/**
 * The class-transformer + class-validator path (the decorators' own judgement and messages).
 * Never throws: input that makes a decorator throw fails validation with that exception as reason,
 * so a consumer refuses it at once (rejection or dead letter) instead of retrying it.
 */
export function validateWithClasses<T extends object>(
  raw: object,
  definition: EventDefinition<T>,
): EventValidationResult<T> {
  const eventId = typeof (raw as { id?: unknown }).id === 'string' ? (raw as { id: string }).id : undefined;
  let envelope: EventEnvelope<T>;
  let envelopeErrors: string[];
  try {
    envelope = plainToInstance(EventEnvelope, raw) as EventEnvelope<T>;
    envelopeErrors = formatValidationErrors(validateSync(envelope, VALIDATOR_OPTIONS));
  } catch (e) {
    return { ok: false, reasons: [unvalidatable('message', e)], eventId };
  }
  if (envelope.type !== undefined && envelope.type !== definition.type) {
    envelopeErrors.push(`type: expected ${definition.type}, got ${String(envelope.type)}`);
  }
  if (envelopeErrors.length > 0) return { ok: false, reasons: envelopeErrors, eventId };
  const payload = validatePayload(envelope.data, definition);
  if (!payload.ok)
    return { ok: false, reasons: payload.reasons, eventId, envelope: envelope as EventEnvelope<unknown> };
  envelope.data = payload.instance;
  return { ok: true, envelope };
}

function validatePayload<T extends object>(
  data: unknown,
  definition: EventDefinition<T>,
): { ok: true; instance: T } | { ok: false; reasons: string[] } {
  try {
    const instance = plainToInstance(definition.payload, data);
    const reasons = formatValidationErrors(validateSync(instance, VALIDATOR_OPTIONS), 'data');
    return reasons.length > 0 ? { ok: false, reasons } : { ok: true, instance };
  } catch (e) {
    return { ok: false, reasons: [unvalidatable('payload', e)] };
  }
}
