// User regexes (policy.pattern.regex) and ECR globs on pathological inputs: the RE2 engine
// (re2js) the pipeline uses against the backtracking JavaScript regexes it used before, side by
// side in one run, at growing input lengths. Linear time shows as time(2n) / time(n) ≈ 2; the
// backtracking engines grow exponentially (regex) or polynomially (glob).
// BENCH_PATTERN_MAX_MS caps one baseline measurement (1500 ms); longer inputs are not tried.
import picomatch from 'picomatch';
import { compileTagRegex } from '../core/pipeline/select';
import { compileEcrMatcher } from '../core/pipeline/repository-match';

const MAX_MS = Number(process.env.BENCH_PATTERN_MAX_MS ?? 1500);

/** The hand-written glob of earlier versions (glob → JavaScript RegExp), kept here as the baseline. */
function oldGlob(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\-]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

/** Milliseconds per call of `fn`, repeated until at least 100 ms have passed (one call if slower). */
function msPerCall(fn: () => unknown): number {
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    fn();
    calls++;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < 100);
  return elapsed / calls;
}

interface Case {
  readonly title: string;
  readonly input: (n: number) => string;
  readonly expected: boolean;
  readonly ours: (s: string) => boolean;
  readonly baselines: ReadonlyArray<{ readonly name: string; readonly test: (s: string) => boolean }>;
}

const REGEX = '^(a|aa)+$';
const GLOB = `${'*a'.repeat(8)}*b`;
const ourGlob = compileEcrMatcher({ region: 'eu-west-1', repositoryPattern: GLOB });
const ourRegex = compileTagRegex(REGEX);

const CASES: Case[] = [
  {
    title: `regex ${REGEX} on "a"×n + "b" (no match)`,
    input: (n) => `${'a'.repeat(n)}b`,
    expected: false,
    ours: (s) => ourRegex.exec(s) !== null,
    baselines: [{ name: 'JavaScript RegExp (before)', test: (s) => new RegExp(REGEX).test(s) }],
  },
  {
    title: `glob ${GLOB} on "a"×n (no match)`,
    input: (n) => 'a'.repeat(n),
    expected: false,
    ours: (s) => ourGlob.repository(s),
    baselines: [
      { name: 'hand-written glob (before)', test: (s) => oldGlob(GLOB).test(s) },
      { name: "picomatch's own RegExp", test: (s) => picomatch.makeRe(GLOB, { dot: true }).test(s) },
    ],
  },
];

const SIZES = [10, 20, 30, 40, 80, 160, 1000];

export default async function bench(): Promise<void> {
  for (const c of CASES) {
    console.log(`\n${c.title}`);
    const rows: Array<{ n: number; ours: number; base: Array<number | undefined> }> = [];
    const stopped = c.baselines.map(() => false);
    for (const n of SIZES) msPerCall(() => c.ours(c.input(n))); // warm up the JIT first
    for (const n of SIZES) {
      const s = c.input(n);
      if (c.ours(s) !== c.expected) throw new Error(`RE2 matcher gave the wrong answer at n=${n}`);
      const ours = msPerCall(() => c.ours(s));
      const base = c.baselines.map((b, i) => {
        if (stopped[i]) return undefined;
        const t = msPerCall(() => b.test(s));
        if (t > MAX_MS / 4) stopped[i] = true; // the next size would take far longer
        return t;
      });
      rows.push({ n, ours, base });
    }
    const fmt = (ms: number | undefined): string =>
      ms === undefined
        ? 'not run'.padStart(12)
        : `${ms < 1 ? (ms * 1000).toFixed(1) + ' µs' : ms.toFixed(1) + ' ms'}`.padStart(12);
    console.log(
      `${'n'.padStart(5)} ${'RE2 (now)'.padStart(12)} ${c.baselines.map((b) => b.name.padStart(28)).join(' ')}`,
    );
    for (const r of rows) {
      console.log(
        `${String(r.n).padStart(5)} ${fmt(r.ours)} ${r.base.map((t) => fmt(t).padStart(28)).join(' ')}`,
      );
    }
    const at = (n: number): (typeof rows)[number] => rows.find((r) => r.n === n)!;
    const ratio = (a: number | undefined, b: number | undefined): string =>
      a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(1)}×`;
    console.log(
      `RE2: time(80)/time(40) = ${ratio(at(80).ours, at(40).ours)}, time(160)/time(80) = ${ratio(at(160).ours, at(80).ours)}, ` +
        `time(1000)/time(40) = ${ratio(at(1000).ours, at(40).ours)} (linear: 2×, 2×, 25×)`,
    );
    c.baselines.forEach((b, i) => {
      console.log(
        `${b.name}: time(40)/time(20) = ${ratio(at(40).base[i], at(20).base[i])}; at n=40 it is ${ratio(at(40).base[i], at(40).ours)} the RE2 time`,
      );
    });
  }
}
