import { describe, expect, it } from 'vitest';
import { compileExpression, ExpressionError, imbalance, parseExpression } from './expression.js';

/** Evaluates an expression over named values. */
function evaluate(text: string, named: Record<string, number>): number {
  const names = Object.keys(named);
  const parsed = parseExpression(text);
  const run = compileExpression(parsed, (point) => {
    const i = names.indexOf(point);
    if (i < 0) throw new Error(`no value for ${point}`);
    return i;
  });
  return run(names.map((n) => named[n] as number));
}

describe('expressions across points', () => {
  it('computes arithmetic with the usual precedence, unary minus and parentheses', () => {
    expect(
      evaluate('outlet_pressure - inlet_pressure', { outlet_pressure: 3.2, inlet_pressure: 1.1 }),
    ).toBeCloseTo(2.1, 12);
    expect(evaluate('a + b * 2', { a: 1, b: 3 })).toBe(7);
    expect(evaluate('(a + b) * 2', { a: 1, b: 3 })).toBe(8);
    expect(evaluate('-a / 4 + 1e1', { a: 2 })).toBe(9.5);
  });

  it('has abs, sqrt, min, max, mean and imbalance', () => {
    const v = { x: 9, y: -4, z: 1 };
    expect(evaluate('abs(y)', v)).toBe(4);
    expect(evaluate('sqrt(x)', v)).toBe(3);
    expect(evaluate('min(x, y, z)', v)).toBe(-4);
    expect(evaluate('max(x, y, z)', v)).toBe(9);
    expect(evaluate('mean(x, y, z)', v)).toBe(2);
    // Phase currents 130, 100, 70 A: mean 100, largest deviation 30 A: 30 %.
    expect(evaluate('imbalance(l1, l2, l3)', { l1: 130, l2: 100, l3: 70 })).toBeCloseTo(0.3, 12);
    expect(evaluate('imbalance(l1, l2, l3)', { l1: 100, l2: 100, l3: 100 })).toBe(0);
  });

  it('imbalance is undefined (NaN) with a zero mean, never infinite', () => {
    expect(imbalance([0, 0, 0])).toBeNaN();
    expect(evaluate('imbalance(a, b)', { a: 5, b: -5 })).toBeNaN();
  });

  it('lists the points it reads once each, quoted names included', () => {
    expect(
      parseExpression("imbalance(current_l1, current_l2, current_l3) / current_l1 + point('ai-3')").points,
    ).toEqual(['current_l1', 'current_l2', 'current_l3', 'ai-3']);
    expect(evaluate("point('ai-3') * 2", { 'ai-3': 4 })).toBe(8);
  });

  it('folds parts that read no point', () => {
    const parsed = parseExpression('x * (60 / 4) + max(1, 2)');
    let reads = 0;
    const run = compileExpression(parsed, () => 0);
    expect(run([2])).toBe(32);
    const slots: string[] = [];
    compileExpression(parsed, (p) => {
      slots.push(p);
      reads += 1;
      return 0;
    });
    expect(reads).toBe(1);
    expect(slots).toEqual(['x']);
  });

  it.each([
    ['(a + 2', /Unclosed/],
    ['a ? b : c', /conditional/],
    ['a && b', /operator && is not allowed/],
    ['a > 1', /operator > is not allowed/],
    ['a.b', /member access/],
    ['a[0]', /member access/],
    ['"text"', /only numbers and point names/],
    ['true', /only numbers and point names/],
    ['foo(a)', /unknown function foo/],
    ['abs(a, b)', /abs takes 1 argument, not 2/],
    ['max(a)', /max takes 2 to 32 arguments, not 1/],
    ['imbalance', /imbalance is a function/],
    ['1 + 2', /reads no point/],
    ['a b', /more than one expression/],
    ['point(a)', /point\(\) takes one quoted point name/],
    ["point('no spaces allowed')", /is not a point name/],
    ['$a + 1', /is not a point name/],
  ])('refuses %s', (text, message) => {
    expect(() => parseExpression(text)).toThrow(ExpressionError);
    expect(() => parseExpression(text)).toThrow(message);
  });
});
