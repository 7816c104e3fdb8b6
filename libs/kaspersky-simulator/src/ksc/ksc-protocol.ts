import { KscProtocolState, Site } from '../site/site';
import { KscActions } from './ksc-actions';
import { KscGroupSyncIterators } from './ksc-group-sync';
import { KscPasswordVault } from './ksc-password-vault';
import { KscResultSets } from './ksc-result-sets';
import { KscSessions } from './ksc-sessions';
import { KscTasks } from './ksc-tasks';

/**
 * Wire-level state of one simulated KSC that the model does not hold: sessions, result sets,
 * async actions, tasks, the password-protection key and attributes the model has no field for.
 */
export class KscProtocol implements KscProtocolState {
  readonly sessions: KscSessions;
  readonly resultSets = new KscResultSets();
  /** GroupSyncIterator result sets (LicenseKeys.EnumKeys, …). */
  readonly groupSyncIterators = new KscGroupSyncIterators();
  readonly actions: KscActions;
  readonly tasks: KscTasks;
  readonly vault = new KscPasswordVault();
  /** Writable vAS attributes without a model field (KLVSRV_CUSTOM_INFO, …), per vAS id. */
  readonly vserverExtras = new Map<number, Record<string, unknown>>();
  /** Optional user attributes (KLSPL_USER_FULL_NAME, …), per user id. */
  readonly userExtras = new Map<number, Record<string, unknown>>();
  /** RecallCertAndCloseConnections calls, for tests and state dumps. */
  readonly certRecalls: { vsId: number; at: Date }[] = [];

  constructor(readonly site: Site) {
    this.sessions = new KscSessions(() => site.assumptions.kscSessionIdleTimeoutSeconds);
    this.actions = new KscActions(site.faults, () => site.assumptions);
    this.tasks = new KscTasks(
      site.ksc,
      site.faults,
      () => site.assumptions,
      this.vault,
      (u, p) => site.acceptsPushInstall(u, p),
    );
  }

  /** What goes with a deleted vAS on the wire side: its sessions, tasks and extra attributes. */
  forgetVServer(vsId: number): void {
    this.sessions.endWhere((s) => s.vsId === vsId);
    this.tasks.deleteForVServer(vsId);
    this.vserverExtras.delete(vsId);
  }

  snapshot() {
    return {
      sessions: this.sessions.snapshot(),
      resultSets: this.resultSets.snapshot(),
      groupSyncIterators: this.groupSyncIterators.snapshot(),
      actions: this.actions.snapshot(),
      tasks: this.tasks.snapshot(),
      certRecalls: this.certRecalls,
    };
  }

  stop(): void {
    this.actions.stop();
    this.tasks.stop();
    this.resultSets.clear();
    this.groupSyncIterators.clear();
    this.sessions.clear();
  }
}
