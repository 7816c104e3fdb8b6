import { Injectable } from '@nestjs/common';
import { OperationKind } from '@tpo/contracts';
import { AddVmsKind } from './add-vms.kind';
import { DeprovisionKind } from './deprovision.kind';
import { OperationKindHandler } from './operation-kind';
import { RemoveVmsKind } from './remove-vms.kind';
import { ResumeKind } from './resume.kind';
import { SuspendKind } from './suspend.kind';

/** The operation kinds run by the lifecycle job (onboarding runs through the step services' pipeline, add-vms partly). */
@Injectable()
export class OperationKinds {
  private readonly byKind: Map<OperationKind, OperationKindHandler>;

  constructor(
    suspend: SuspendKind,
    resume: ResumeKind,
    deprovision: DeprovisionKind,
    addVms: AddVmsKind,
    removeVms: RemoveVmsKind,
  ) {
    this.byKind = new Map<OperationKind, OperationKindHandler>(
      [suspend, resume, deprovision, addVms, removeVms].map((k) => [k.kind, k]),
    );
  }

  get(kind: OperationKind): OperationKindHandler | undefined {
    return this.byKind.get(kind);
  }
}

export const OPERATION_KIND_PROVIDERS = [
  SuspendKind,
  ResumeKind,
  DeprovisionKind,
  AddVmsKind,
  RemoveVmsKind,
  OperationKinds,
];
