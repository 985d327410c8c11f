// The one security-context default of jobforge's pods and containers (the restricted Pod
// Security Standard) and the checks of what users merge over it.
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { checkInteger, checkNoBacksteps, show } from '../../core/k8s/field-checks';

/**
 * `overrides` merged over the restricted container defaults: allowPrivilegeEscalation false,
 * privileged false, all capabilities dropped, readOnlyRootFilesystem true, runAsNonRoot true.
 */
export function restrictedContainerSecurityContext(overrides?: k8s.SecurityContext): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    ...overrides,
  };
}

/** `overrides` merged over the restricted pod defaults: runAsNonRoot true, seccompProfile RuntimeDefault. */
export function restrictedPodSecurityContext(overrides?: k8s.PodSecurityContext): k8s.PodSecurityContext {
  return { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' }, ...overrides };
}

const PROFILE_TYPES = ['RuntimeDefault', 'Unconfined', 'Localhost'];

function checkProfile(field: string, profile: { type: string; localhostProfile?: string } | undefined): void {
  if (profile === undefined) return;
  if (!PROFILE_TYPES.includes(profile.type)) {
    throw new Error(
      `'${field}.type' must be RuntimeDefault, Unconfined or Localhost, got ${show(profile.type)}`,
    );
  }
  const local = profile.localhostProfile;
  if (profile.type === 'Localhost') {
    if (local === undefined) {
      throw new Error(`'${field}.localhostProfile' is required when type is Localhost, got undefined`);
    }
    if (local.startsWith('/')) {
      throw new Error(`'${field}.localhostProfile' must be a relative path, got ${show(local)}`);
    }
    checkNoBacksteps(`${field}.localhostProfile`, local);
  } else if (local !== undefined) {
    throw new Error(`'${field}.localhostProfile' needs type Localhost, got type ${show(profile.type)}`);
  }
}

/** Throws unless `overrides` merged over the restricted defaults is a container security context the apiserver takes. */
export function validateContainerSecurityContext(
  field: string,
  overrides: k8s.SecurityContext | undefined,
): void {
  const sc = restrictedContainerSecurityContext(overrides);
  checkInteger(`${field}.runAsUser`, sc.runAsUser);
  checkInteger(`${field}.runAsGroup`, sc.runAsGroup);
  if (sc.allowPrivilegeEscalation === false) {
    if (sc.privileged === true) {
      throw new Error(
        `'${field}.privileged' true needs allowPrivilegeEscalation true (the restricted default is false), got privileged true`,
      );
    }
    if ((sc.capabilities?.add ?? []).includes('CAP_SYS_ADMIN')) {
      throw new Error(
        `'${field}.capabilities.add' CAP_SYS_ADMIN needs allowPrivilegeEscalation true (the restricted default is false), got ${show(sc.capabilities?.add)}`,
      );
    }
  }
  if (sc.procMount !== undefined && sc.procMount !== 'Default') {
    // Unmasked needs the pod's hostUsers false, which jobforge pods do not set.
    throw new Error(
      `'${field}.procMount' must be Default (Unmasked needs hostUsers false), got ${show(sc.procMount)}`,
    );
  }
  checkProfile(`${field}.seccompProfile`, sc.seccompProfile);
}

/** Throws unless `overrides` merged over the restricted defaults is a pod security context the apiserver takes. */
export function validatePodSecurityContext(
  field: string,
  overrides: k8s.PodSecurityContext | undefined,
): void {
  const sc = restrictedPodSecurityContext(overrides);
  checkInteger(`${field}.runAsUser`, sc.runAsUser);
  checkInteger(`${field}.runAsGroup`, sc.runAsGroup);
  checkInteger(`${field}.fsGroup`, sc.fsGroup);
  (sc.supplementalGroups ?? []).forEach((g, i) => checkInteger(`${field}.supplementalGroups[${i}]`, g));
  if (
    sc.fsGroupChangePolicy !== undefined &&
    !['OnRootMismatch', 'Always'].includes(sc.fsGroupChangePolicy)
  ) {
    throw new Error(
      `'${field}.fsGroupChangePolicy' must be OnRootMismatch or Always, got ${show(sc.fsGroupChangePolicy)}`,
    );
  }
  checkProfile(`${field}.seccompProfile`, sc.seccompProfile);
}
