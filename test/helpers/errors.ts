// Assertions for errors raised when an op or a transformation is built: the error class, the
// fragments its message must name, and (expectErr) that no backend work ran before the throw.

import { expect } from 'vitest';
import { WgadError } from '../../src/index.js';
import { _backend } from '../../src/internal.js';

/** `fn` throws `cls` synchronously, with every fragment in its message, and runs no backend work. */
export function expectErr(fn: () => unknown, cls: typeof WgadError, ...fragments: string[]): void {
  const before = { ..._backend().stats };
  const e = thrownBy(fn);
  expect(e, 'expected a throw').toBeInstanceOf(cls);
  expect(e).toBeInstanceOf(WgadError);
  expect(e!.name).toBe(cls.name);
  for (const f of fragments) expect(e!.message).toContain(f);
  expect(_backend().stats).toEqual(before);
}

/** `fn` throws `type`, and its message contains (or matches) every part. */
export function throwsWith(fn: () => unknown, type: new (...a: never[]) => Error, ...parts: (string | RegExp)[]): void {
  const e = thrownBy(fn);
  expect(e, 'expected an error').toBeInstanceOf(type);
  for (const p of parts) expect(e!.message).toMatch(p);
}

function thrownBy(fn: () => unknown): Error | null {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  return null;
}
