import { DEFAULT_ASSUMPTIONS, SimulatorAssumptions } from '../config/assumptions';
import { SEED_PUSH_INSTALL_ACCOUNT } from '../config/seed';
import { FaultConfig, FaultController } from '../faults/faults';
import { IntegrationServerModel } from '../integration-server/is-model';
import { KscModel } from '../ksc/ksc-model';
import { seedReferencePolicies } from '../ksc/ksc-policy-seed';
import { CallCounters } from './call-counters';
import { CallLog } from './call-log';

export interface SiteOptions {
  id: string;
  /** Password of the Integration Server's `multitenancy` account. */
  isPassword: string;
  /** The provider's account on the KSC main server. */
  kscAccount: { name: string; password: string };
  /** Whether the IS has its KSC connection configured (step 1 of the deployment scenario). */
  kscConfigured?: boolean;
  assumptions?: Partial<SimulatorAssumptions>;
  faults?: Partial<FaultConfig>;
  /** Account the site's VMs accept for a Remote Installation push (default SEED_PUSH_INSTALL_ACCOUNT). */
  pushInstallAccount?: { username: string; password: string };
  /** Seed the reference policies of config/seed.ts on the main server (default true). */
  seedReferencePolicies?: boolean;
}

/** State handed to the KSC wire layer (sessions, tasks, accessors): it registers itself here. */
export interface KscProtocolState {
  snapshot(): unknown;
  stop(): void;
}

/** A "site": one KSC Administration Server and the Integration Server connected to it. */
export class Site {
  readonly counters = new CallCounters();
  /** Connections accepted per listener (each one a TLS handshake when TLS is on): shows whether clients keep them alive. */
  readonly connections = { integrationServer: 0, ksc: 0 };
  /** State-changing calls accepted, per resource (GET /sites/:id/calls). */
  readonly calls = new CallLog();
  readonly faults: FaultController;
  assumptions: SimulatorAssumptions;
  kscConfigured: boolean;
  readonly ksc: KscModel;
  readonly is: IntegrationServerModel;
  kscProtocol?: KscProtocolState;
  /** The push-install account this site's not-yet-managed VMs accept (Remote Installation). */
  readonly pushInstallAccount: { username: string; password: string };

  constructor(readonly options: SiteOptions) {
    this.assumptions = { ...DEFAULT_ASSUMPTIONS, ...options.assumptions };
    this.kscConfigured = options.kscConfigured ?? true;
    this.pushInstallAccount = { ...(options.pushInstallAccount ?? SEED_PUSH_INSTALL_ACCOUNT) };
    this.faults = new FaultController(options.faults);
    this.ksc = new KscModel(() => this.assumptions, options.kscAccount);
    if (options.seedReferencePolicies !== false) seedReferencePolicies(this.ksc);
    this.is = new IntegrationServerModel(
      this.ksc,
      this.faults,
      () => this.assumptions,
      () => this.kscConfigured,
    );
  }

  /** Whether a push install with these credentials would be let in by the site's VMs (exact user, exact password). */
  acceptsPushInstall(username: string | undefined, password: string | undefined): boolean {
    return username === this.pushInstallAccount.username && password === this.pushInstallAccount.password;
  }

  get id(): string {
    return this.options.id;
  }

  snapshot() {
    return {
      id: this.id,
      kscConfigured: this.kscConfigured,
      assumptions: this.assumptions,
      counters: this.counters.snapshot(),
      integrationServer: this.is.snapshot(),
      ksc: { ...this.ksc.snapshot(), protocol: this.kscProtocol?.snapshot() },
    };
  }

  stop(): void {
    this.is.stop();
    this.kscProtocol?.stop();
    this.faults.releaseHanging();
  }
}
