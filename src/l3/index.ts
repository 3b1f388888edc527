// The L3 layer's public face: routers (Neutron's legacy router) as observe -> pure plan -> apply, and
// the imperative verbs. Neutron: agent/l3 (router_info, legacy_router, namespaces).

export {
  type ExtraRoute,
  type FloatingIpSpec,
  type RouterDesired,
  type RouterGatewaySpec,
  type RouterPort,
  type RouterRef,
  type RouterSpec,
  routerDesired,
  routerNamespace,
  routerSpec,
} from './desired.js';
export { RouterNamespaceConflictError } from './errors.js';
export { ROUTER_SYSCTLS, routerSysctls } from './namespace.js';
export {
  addRouterRules,
  EXTERNAL_INGRESS_MARK,
  floatingIpRules,
  L3_PREFIX,
  L3_TAG,
  routerManager,
} from './nat.js';
export { observeRouter, type RouterObserved, routerDevices } from './observe.js';
export { planRouter, type RouterContext } from './plan.js';
export { deleteRouter, processRouter, type RouterApplyWith, type RouterOutcome } from './router.js';
export { planExtraRoutes } from './routes.js';
