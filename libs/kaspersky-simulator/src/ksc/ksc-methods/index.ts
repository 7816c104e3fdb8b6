import { hostGroupMethods } from './host-group-methods';
import { iteratorMethods } from './iterator-methods';
import { licenseMethods } from './license-methods';
import { KscHandlers } from './method-types';
import { packagesMethods } from './packages-methods';
import { policyMethods } from './policy-methods';
import { securityMethods } from './security-methods';
import { sessionMethods } from './session-methods';
import { ssContentsMethods } from './ss-contents-methods';
import { tasksMethods } from './tasks-methods';
import { vserversMethods } from './vservers-methods';

export * from './method-types';

/** Every implemented `<Class>.<Method>`, looked up case-sensitively. */
export const KSC_METHODS: KscHandlers = {
  ...sessionMethods,
  ...vserversMethods,
  ...hostGroupMethods,
  ...iteratorMethods,
  ...packagesMethods,
  ...tasksMethods,
  ...securityMethods,
  ...policyMethods,
  ...ssContentsMethods,
  ...licenseMethods,
};
