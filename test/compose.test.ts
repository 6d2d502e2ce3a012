/** The composition rules: start order from `after`, one provider per API capability, health sections. */
import { describe, expect, it } from 'vitest';
import type { Component } from '../src/component.js';
import { healthSections, mergeCapabilities, startOrder } from '../src/compose.js';

const c = (name: string, extra: Partial<Component> = {}): Component => ({ name, ...extra });

describe('startOrder', () => {
  it('starts each component after the ones it names, otherwise in the order given', () => {
    const order = startOrder([c('mirror', { after: ['store', 'crypto'] }), c('archive'), c('crypto', { after: ['store'] }), c('store')]);
    expect(order.map((x) => x.name)).toEqual(['store', 'crypto', 'mirror', 'archive']);
  });

  it('refuses a cycle, an unknown name and a duplicate name', () => {
    expect(() => startOrder([c('a', { after: ['b'] }), c('b', { after: ['a'] })])).toThrow(/depend on each other: a → b → a/);
    expect(() => startOrder([c('a', { after: ['nope'] })])).toThrow(/"nope", which is not part/);
    expect(() => startOrder([c('a'), c('a')])).toThrow(/two components are named "a"/);
  });
});

describe('mergeCapabilities', () => {
  it('takes each capability from its one provider and freezes the result', () => {
    const archiveInfo = { lastTxId: () => 'tx', txIdForLink: () => '' };
    const caps = mergeCapabilities([c('mirror', { api: { readOnly: true } }), c('archive', { api: { archiveInfo } }), c('none')]);
    expect(caps).toEqual({ readOnly: true, archiveInfo });
    expect(Object.isFrozen(caps)).toBe(true);
  });

  it('refuses two providers of one capability', () => {
    expect(() => mergeCapabilities([c('a', { api: { readOnly: true } }), c('b', { api: { readOnly: false } })])).toThrow(/"readOnly" is provided by both "a" and "b"/);
  });
});

it('health sections come from the components that report, under their names, read when asked', () => {
  let n = 0;
  const health = healthSections([c('a', { health: () => ({ n: ++n }) }), c('b')]);
  expect(health()).toEqual({ a: { n: 1 } });
  expect(health()).toEqual({ a: { n: 2 } });
});
