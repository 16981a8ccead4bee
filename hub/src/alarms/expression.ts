import { isValidId } from '@caretaker/protocol';
import jsep from 'jsep';

/**
 * Expressions across the points of one device, for rules that compare one point with another
 * (phase imbalance, a pressure difference across a filter, current per unit of flow):
 *
 *   imbalance(current_l1, current_l2, current_l3)      outlet_pressure - inlet_pressure
 *
 * Numbers, point names, + - * / (and unary -), parentheses, and the functions below. A point
 * whose name is not an identifier (it has `-` or `.`) is written `point('ai-3')`. Parsed by jsep,
 * then checked here: anything else (strings, members, comparisons, unknown functions) is refused
 * when the rule file loads, with a message saying what and where.
 */

/** Values by point slot; NaN (or a missing slot) is a point never seen. */
export type Values = readonly number[];
export type Evaluate = (values: Values) => number;

interface FunctionSpec {
  minArgs: number;
  maxArgs: number;
  /** Builds the evaluation from the arguments' evaluations. */
  build(args: Evaluate[]): Evaluate;
}

function fold(args: Evaluate[], combine: (xs: Float64Array) => number): Evaluate {
  const xs = new Float64Array(args.length);
  return (v) => {
    for (let i = 0; i < args.length; i += 1) xs[i] = (args[i] as Evaluate)(v);
    return combine(xs);
  };
}

/** The largest (sign 1) or smallest (sign -1) value; NaN if any is NaN, as Math.max. */
function extreme(xs: Float64Array, sign: 1 | -1): number {
  let best = xs[0] as number;
  for (let i = 1; i < xs.length; i += 1) {
    const x = xs[i] as number;
    if (Number.isNaN(x)) return x;
    if (sign * (x - best) > 0) best = x;
  }
  return best;
}

function meanOf(xs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i += 1) sum += xs[i] as number;
  return sum / xs.length;
}

/**
 * Largest deviation from the mean over the mean (NEMA MG 1's definition of unbalance for phase
 * voltages and currents): 0.1 is 10 %. Undefined (NaN) with a zero mean.
 */
export function imbalance(xs: ArrayLike<number>): number {
  const mean = meanOf(xs);
  if (mean === 0) return Number.NaN;
  let worst = 0;
  for (let i = 0; i < xs.length; i += 1) worst = Math.max(worst, Math.abs((xs[i] as number) - mean));
  return worst / Math.abs(mean);
}

const FUNCTIONS: Record<string, FunctionSpec> = {
  abs: { minArgs: 1, maxArgs: 1, build: ([a]) => unary(a as Evaluate, Math.abs) },
  sqrt: { minArgs: 1, maxArgs: 1, build: ([a]) => unary(a as Evaluate, Math.sqrt) },
  min: { minArgs: 2, maxArgs: 32, build: (args) => fold(args, (xs) => extreme(xs, -1)) },
  max: { minArgs: 2, maxArgs: 32, build: (args) => fold(args, (xs) => extreme(xs, 1)) },
  mean: { minArgs: 1, maxArgs: 32, build: (args) => fold(args, meanOf) },
  imbalance: { minArgs: 2, maxArgs: 32, build: (args) => fold(args, imbalance) },
};

function unary(a: Evaluate, f: (x: number) => number): Evaluate {
  return (v) => f(a(v));
}

const BINARY: Record<string, (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

/** A syntax or meaning error in an expression; the message says what and where. */
export class ExpressionError extends Error {}

/** A checked expression: its tree and the points it reads. */
export interface ParsedExpression {
  readonly text: string;
  /** The points it reads, each once, in order of appearance. */
  readonly points: readonly string[];
  readonly tree: jsep.Expression;
}

const parsed = new Map<string, ParsedExpression>();

/** Parses and checks an expression (cached by its text); throws ExpressionError. */
export function parseExpression(text: string): ParsedExpression {
  const cached = parsed.get(text);
  if (cached) return cached;
  let tree: jsep.Expression;
  try {
    tree = jsep(text);
  } catch (err) {
    throw new ExpressionError((err as Error).message);
  }
  const points: string[] = [];
  check(tree, points);
  if (points.length === 0) throw new ExpressionError('reads no point: compare a point, not a constant');
  const result: ParsedExpression = { text, points, tree };
  parsed.set(text, result);
  return result;
}

/** The point a `point('name')` call names, or undefined when the node is not such a call. */
function quotedPoint(node: jsep.Expression): string | undefined {
  if (node.type !== 'CallExpression') return undefined;
  const call = node as jsep.CallExpression;
  if (call.callee.type !== 'Identifier' || (call.callee as jsep.Identifier).name !== 'point')
    return undefined;
  const [arg] = call.arguments;
  if (
    call.arguments.length !== 1 ||
    arg?.type !== 'Literal' ||
    typeof (arg as jsep.Literal).value !== 'string'
  )
    throw new ExpressionError("point() takes one quoted point name, e.g. point('ai-3')");
  return (arg as jsep.Literal).value as string;
}

function addPoint(name: string, points: string[]): void {
  if (!isValidId(name)) throw new ExpressionError(`${JSON.stringify(name)} is not a point name`);
  if (!points.includes(name)) points.push(name);
}

function check(node: jsep.Expression, points: string[]): void {
  switch (node.type) {
    case 'Literal': {
      const value = (node as jsep.Literal).value;
      if (typeof value !== 'number' || !Number.isFinite(value))
        throw new ExpressionError(
          `only numbers and point names are values, not ${(node as jsep.Literal).raw}`,
        );
      return;
    }
    case 'Identifier': {
      const name = (node as jsep.Identifier).name;
      if (name in FUNCTIONS || name === 'point')
        throw new ExpressionError(`${name} is a function: call it, e.g. ${name}(a, b)`);
      addPoint(name, points);
      return;
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      if (u.operator !== '-' && u.operator !== '+')
        throw new ExpressionError(`operator ${u.operator} is not allowed (only + - * /)`);
      check(u.argument, points);
      return;
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      if (!(b.operator in BINARY))
        throw new ExpressionError(
          `operator ${b.operator} is not allowed (only + - * /; compare with the rule's op and value)`,
        );
      check(b.left, points);
      check(b.right, points);
      return;
    }
    case 'CallExpression': {
      const quoted = quotedPoint(node);
      if (quoted !== undefined) {
        addPoint(quoted, points);
        return;
      }
      const call = node as jsep.CallExpression;
      const name = call.callee.type === 'Identifier' ? (call.callee as jsep.Identifier).name : '';
      const spec = FUNCTIONS[name];
      if (!spec || !Object.hasOwn(FUNCTIONS, name))
        throw new ExpressionError(
          `unknown function ${name || '(expression)'}: use ${Object.keys(FUNCTIONS).join(', ')} or point`,
        );
      const n = call.arguments.length;
      if (n < spec.minArgs || n > spec.maxArgs)
        throw new ExpressionError(
          spec.minArgs === spec.maxArgs
            ? `${name} takes ${spec.minArgs} argument${spec.minArgs === 1 ? '' : 's'}, not ${n}`
            : `${name} takes ${spec.minArgs} to ${spec.maxArgs} arguments, not ${n}`,
        );
      for (const arg of call.arguments) check(arg, points);
      return;
    }
    default:
      throw new ExpressionError(
        `${describe(node)} is not allowed: use numbers, point names, + - * / and functions`,
      );
  }
}

function describe(node: jsep.Expression): string {
  switch (node.type) {
    case 'MemberExpression':
      return "a member access (write point('a.b') for a point named with a dot)";
    case 'ConditionalExpression':
      return 'a conditional (?:)';
    case 'Compound':
      return 'more than one expression';
    case 'ArrayExpression':
      return 'an array';
    default:
      return node.type;
  }
}

/**
 * Compiles a checked expression against point slots. The result reads only the slots of the
 * expression's points; callers check those are known (not NaN) before evaluating, so NaN from
 * the evaluation means "not computable" (a zero mean), not "unknown".
 */
export function compileExpression(expression: ParsedExpression, slotOf: (point: string) => number): Evaluate {
  const compiled = build(expression.tree, slotOf);
  return compiled.constant === undefined ? compiled.run : () => compiled.constant as number;
}

interface Built {
  run: Evaluate;
  /** Set when the subtree reads no point (folded at compile time). */
  constant: number | undefined;
}

function build(node: jsep.Expression, slotOf: (point: string) => number): Built {
  const constant = (x: number): Built => ({ run: () => x, constant: x });
  switch (node.type) {
    case 'Literal':
      return constant((node as jsep.Literal).value as number);
    case 'Identifier': {
      const slot = slotOf((node as jsep.Identifier).name);
      return { run: (v) => v[slot] as number, constant: undefined };
    }
    case 'UnaryExpression': {
      const u = node as jsep.UnaryExpression;
      const a = build(u.argument, slotOf);
      if (u.operator === '+') return a;
      if (a.constant !== undefined) return constant(-a.constant);
      const run = a.run;
      return { run: (v) => -run(v), constant: undefined };
    }
    case 'BinaryExpression': {
      const b = node as jsep.BinaryExpression;
      const f = BINARY[b.operator] as (a: number, b: number) => number;
      const l = build(b.left, slotOf);
      const r = build(b.right, slotOf);
      if (l.constant !== undefined && r.constant !== undefined) return constant(f(l.constant, r.constant));
      const lr = l.run;
      const rr = r.run;
      switch (b.operator) {
        case '+':
          return { run: (v) => lr(v) + rr(v), constant: undefined };
        case '-':
          return { run: (v) => lr(v) - rr(v), constant: undefined };
        case '*':
          return { run: (v) => lr(v) * rr(v), constant: undefined };
        default:
          return { run: (v) => lr(v) / rr(v), constant: undefined };
      }
    }
    case 'CallExpression': {
      const quoted = quotedPoint(node);
      if (quoted !== undefined) {
        const slot = slotOf(quoted);
        return { run: (v) => v[slot] as number, constant: undefined };
      }
      const call = node as jsep.CallExpression;
      const spec = FUNCTIONS[(call.callee as jsep.Identifier).name] as FunctionSpec;
      const args = call.arguments.map((a) => build(a, slotOf));
      const run = spec.build(args.map((a) => a.run));
      if (args.every((a) => a.constant !== undefined)) return constant(run([]));
      return { run, constant: undefined };
    }
    default:
      throw new ExpressionError(`${node.type} is not allowed`);
  }
}
