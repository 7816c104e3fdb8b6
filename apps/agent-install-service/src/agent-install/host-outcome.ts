import { HOST_STATE, HostTaskStatus } from '@tpo/ksc-client';

/** One device's result of a KSC task, as a per-VM state: ok, or failed with a code and a reason the admin can act on. */
export interface HostOutcome {
  ok: boolean;
  /** Per-VM failure code (failed) or note (ok, e.g. ALREADY_INSTALLED). */
  code?: string;
  message: string;
}

export const HOST_UNREACHABLE = 'HOST_UNREACHABLE';
export const ACCESS_DENIED = 'ACCESS_DENIED';
export const REBOOT_PENDING = 'REBOOT_PENDING';
export const PACKAGE_OS_MISMATCH = 'PACKAGE_OS_MISMATCH';
export const ALREADY_INSTALLED = 'ALREADY_INSTALLED';

/**
 * ASSUMPTION: the wording of `state_descr` follows the remote-installation failure reasons of an old
 * public Kaspersky header (ksc-openapi-addendum.md §1.2); only the state bits are DOCUMENTED. An
 * unrecognised text keeps the task's own failure code and is shown verbatim.
 */
const RULES: { code: string; test: RegExp; advice: string }[] = [
  {
    code: HOST_UNREACHABLE,
    test: /offline|firewall|unreachable|not available|timeout|no network/i,
    advice: 'check that the VM is running and reachable from the Administration Server at its address',
  },
  {
    code: ACCESS_DENIED,
    test: /access denied|permission|logon|password|credential/i,
    advice: "check the site's push-install account (user, password, rights on the VM)",
  },
  {
    code: PACKAGE_OS_MISMATCH,
    test: /operating system .*not supported|wrong os/i,
    advice: "check the VM's osFamily in the order and the site's package for that OS family",
  },
];

/** Classifies one host status record (state_code bits, addendum §1.5, and state_descr). */
export function classifyHostStatus(s: HostTaskStatus, failCode: string): HostOutcome {
  const state = typeof s.state_code === 'number' ? s.state_code : 0;
  const descr = typeof s.state_descr === 'string' ? s.state_descr.trim() : '';
  if (state & HOST_STATE.FAILED) {
    const rule = RULES.find((r) => r.test.test(descr));
    const what = descr || 'the task failed on this device';
    return rule
      ? { ok: false, code: rule.code, message: `${what} (${rule.advice})` }
      : { ok: false, code: failCode, message: what };
  }
  if (state & HOST_STATE.WARNING) {
    if (/restart|reboot/i.test(descr)) {
      return {
        ok: false,
        code: REBOOT_PENDING,
        message: `${descr || 'a restart is pending'} (restart the VM, then retry: the installed product is kept)`,
      };
    }
    return { ok: true, message: descr || 'completed with a warning' };
  }
  if (state & HOST_STATE.SUCCEEDED) {
    return /already installed/i.test(descr)
      ? { ok: true, code: ALREADY_INSTALLED, message: descr }
      : { ok: true, message: descr || 'completed' };
  }
  return { ok: false, code: failCode, message: descr || 'the task has not finished on this device' };
}
