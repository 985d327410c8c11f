// NetworkPolicies for what jobforge deploys: ingress denied (unless a namespace is allowed to a
// port), egress limited to cluster DNS plus the destinations given (CIDR + TCP ports). A
// NetworkPolicy cannot name hosts, so registries, Git hosts, the apiserver and the Insights host
// are reached by address range and port.
import { isIP } from 'node:net';
import { Construct } from 'constructs';
import * as k8s from 'cdk8s-plus-28/lib/imports/k8s';
import { isDnsLabel } from '../core/dns-name';
import { checkPort, show } from '../core/k8s/field-checks';

/** Where the pods may connect to: an address range and its TCP ports. */
export interface NetworkEgressTarget {
  /** An IPv4 or IPv6 CIDR, e.g. `10.0.0.0/16` or `0.0.0.0/0`. */
  readonly cidr: string;
  /** CIDRs inside `cidr` that stay denied, e.g. the node metadata address `169.254.169.254/32`. @default [] */
  readonly except?: string[];
  /** TCP ports (1 to 65535). */
  readonly ports: number[];
}

/** Options of a jobforge NetworkPolicy. */
export interface NetworkPolicyOptions {
  /**
   * Destinations the pods may open connections to, besides cluster DNS.
   * @default - the construct's own needs (see each construct); none for user Jobs
   */
  readonly egress?: NetworkEgressTarget[];
  /**
   * Allow DNS (UDP and TCP 53) to the cluster DNS pods (`k8s-app: kube-dns` in `kube-system`).
   * @default true
   */
  readonly allowDns?: boolean;
}

/** HTTPS anywhere but the cloud metadata address: the apiserver (443), registries, Git and Insights hosts. */
export const HTTPS_EGRESS: NetworkEgressTarget = {
  cidr: '0.0.0.0/0',
  except: ['169.254.169.254/32'],
  ports: [443],
};

/** The apiserver on its usual non-443 port (kubeadm, kind, k3s: 6443). */
export const APISERVER_6443_EGRESS: NetworkEgressTarget = {
  cidr: '0.0.0.0/0',
  except: ['169.254.169.254/32'],
  ports: [6443],
};

/** The address as a number (IPv4: 32 bits, IPv6: 128 bits); `address` passed `isIP`. */
function addressBits(address: string, family: 4 | 6): bigint {
  if (family === 4) return address.split('.').reduce((n, o) => (n << 8n) | BigInt(o), 0n);
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = addressBits(v4[1], 4);
    text = `${text.slice(0, v4.index)}${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(`0x${g}`), 0n);
}

interface Cidr {
  readonly family: 4 | 6;
  readonly address: bigint;
  readonly bits: number;
}

/** Parses `cidr` as the apiserver accepts an ipBlock CIDR: no zone, no IPv4-mapped IPv6, no host bits. */
function checkCidr(field: string, cidr: unknown): Cidr {
  const m = typeof cidr === 'string' ? /^([^/%]+)\/(\d{1,3})$/.exec(cidr) : null;
  const family = m ? isIP(m[1]) : 0;
  const bits = m ? Number(m[2]) : -1;
  if (!m || family === 0 || bits > (family === 4 ? 32 : 128) || String(bits) !== m[2]) {
    throw new Error(`'${field}' must be an IPv4 or IPv6 CIDR (address/prefix), got ${show(cidr)}`);
  }
  const width = family === 4 ? 32 : 128;
  const address = addressBits(m[1], family as 4 | 6);
  if (family === 6 && address >> 32n === 0xffffn) {
    throw new Error(`'${field}' must not be an IPv4-mapped IPv6 CIDR (write it as IPv4), got ${show(cidr)}`);
  }
  const hostMask = (1n << BigInt(width - bits)) - 1n;
  if ((address & hostMask) !== 0n) {
    throw new Error(
      `'${field}' must not have address bits set beyond the /${bits} prefix, got ${show(cidr)}`,
    );
  }
  return { family: family as 4 | 6, address, bits };
}

/** Throws unless `options` is a valid {@link NetworkPolicyOptions}; `field` names the prop. */
export function validateNetworkPolicyOptions(field: string, options: NetworkPolicyOptions | undefined): void {
  if (options === undefined) return;
  if (typeof options !== 'object' || options === null) {
    throw new Error(`'${field}' must be an object, got ${show(options)}`);
  }
  if (options.allowDns !== undefined && typeof options.allowDns !== 'boolean') {
    throw new Error(`'${field}.allowDns' must be a boolean, got ${show(options.allowDns)}`);
  }
  if (options.egress === undefined) return;
  if (!Array.isArray(options.egress)) {
    throw new Error(`'${field}.egress' must be a list, got ${show(options.egress)}`);
  }
  options.egress.forEach((t, i) => {
    const f = `${field}.egress[${i}]`;
    const outer = checkCidr(`${f}.cidr`, t?.cidr);
    (t.except ?? []).forEach((e, j) => {
      const inner = checkCidr(`${f}.except[${j}]`, e);
      const width = outer.family === 4 ? 32 : 128;
      const inside =
        inner.family === outer.family &&
        inner.bits > outer.bits &&
        inner.address >> BigInt(width - outer.bits) === outer.address >> BigInt(width - outer.bits);
      if (!inside) {
        throw new Error(`'${f}.except[${j}]' must be a strict subset of cidr ${t.cidr}, got ${show(e)}`);
      }
    });
    if (!Array.isArray(t.ports) || t.ports.length === 0) {
      throw new Error(`'${f}.ports' must be a non-empty list of ports, got ${show(t.ports)}`);
    }
    t.ports.forEach((p, j) => checkPort(`${f}.ports[${j}]`, p));
  });
}

/** Throws unless each of `namespaces` is a namespace name. */
export function validateNamespaceList(field: string, namespaces: string[] | undefined): void {
  if (namespaces === undefined) return;
  if (!Array.isArray(namespaces))
    throw new Error(`'${field}' must be a list of namespaces, got ${show(namespaces)}`);
  namespaces.forEach((ns, i) => {
    if (typeof ns !== 'string' || !isDnsLabel(ns)) {
      throw new Error(`'${field}[${i}]' must be a namespace name (DNS-1123 label), got ${show(ns)}`);
    }
  });
}

/** What {@link addNetworkPolicy} builds. */
export interface NetworkPolicySpec {
  readonly name: string;
  readonly namespace?: string;
  readonly labels?: Record<string, string>;
  /** The labels that select the pods. */
  readonly podLabels: Record<string, string>;
  readonly options: NetworkPolicyOptions;
  /** The egress used when `options.egress` is not given. */
  readonly defaultEgress: NetworkEgressTarget[];
  /** Namespaces allowed to reach `ingressPort`; none: all ingress denied. */
  readonly ingressFromNamespaces?: string[];
  readonly ingressPort?: number;
}

/** A networking.k8s.io/v1 NetworkPolicy: ingress denied but what is listed, egress to DNS and the targets. */
export function addNetworkPolicy(
  scope: Construct,
  id: string,
  spec: NetworkPolicySpec,
): k8s.KubeNetworkPolicy {
  const tcp = (port: number): k8s.NetworkPolicyPort => ({
    protocol: 'TCP',
    port: k8s.IntOrString.fromNumber(port),
  });
  const egress: k8s.NetworkPolicyEgressRule[] = [];
  if (spec.options.allowDns ?? true) {
    egress.push({
      to: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        },
      ],
      ports: [
        { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
        { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
      ],
    });
  }
  for (const t of spec.options.egress ?? spec.defaultEgress) {
    egress.push({
      to: [
        { ipBlock: { cidr: t.cidr, except: t.except && t.except.length > 0 ? [...t.except] : undefined } },
      ],
      ports: [...new Set(t.ports)].map(tcp),
    });
  }
  const from = spec.ingressFromNamespaces ?? [];
  const ingress: k8s.NetworkPolicyIngressRule[] =
    from.length > 0 && spec.ingressPort !== undefined
      ? [
          {
            from: from.map((ns) => ({
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': ns } },
            })),
            ports: [tcp(spec.ingressPort)],
          },
        ]
      : [];
  return new k8s.KubeNetworkPolicy(scope, id, {
    metadata: { name: spec.name, namespace: spec.namespace, labels: spec.labels },
    spec: {
      podSelector: { matchLabels: { ...spec.podLabels } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: ingress.length > 0 ? ingress : undefined,
      egress: egress.length > 0 ? egress : undefined,
    },
  });
}
