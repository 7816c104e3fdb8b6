import { KSC_ERRORS, KscErrorCode, KscModelError } from './ksc-model';

/**
 * Wire-only error conditions on top of the model's KSC_ERRORS.
 * ASSUMPTION (ksc-openapi.md §1.4 / Q12): names and numeric values are invented; real codes unknown.
 */
export const KSC_WIRE_ERRORS = {
  STDE_NOFUNC: { code: 1119, module: 'KLSTD' },
  STDE_NOTPERM: { code: 1120, module: 'KLSTD' },
} as const;

export type KscWireErrorCode = KscErrorCode | keyof typeof KSC_WIRE_ERRORS;

const ALL_ERRORS: Record<KscWireErrorCode, { code: number; module: string }> = { ...KSC_ERRORS, ...KSC_WIRE_ERRORS };

/** A method-level failure answered as `{"PxgError": …}`. */
export class KscWireError extends Error {
  constructor(
    readonly codeName: KscWireErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'KscWireError';
  }
}

export function errorNumbers(name: string): { code: number; module: string } | undefined {
  return (ALL_ERRORS as Record<string, { code: number; module: string }>)[name];
}

export interface PxgErrorBody {
  PxgError: { code: number; subcode: number; module: string; message: string; locdata?: unknown };
}

export function pxgErrorBody(e: KscWireError | KscModelError): PxgErrorBody {
  const name = e instanceof KscWireError ? e.codeName : e.code;
  const n = ALL_ERRORS[name];
  return {
    PxgError: {
      code: n.code,
      subcode: 0,
      module: n.module,
      message: e.message,
      locdata: { type: 'params', value: { format: '%1', 'format-id': 0, locmodule: n.module, args: [e.message] } },
    },
  };
}
