import { ExtData } from '@msgpack/msgpack';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeState, encodeState, markStateValue } from '../src/state/state-codec.ts';
import { CODEC_MAX_DEPTH, decodeValue, encodeValue } from '../src/store/codec.ts';

/** Every fact of a value that code can observe: own keys (so holes), and leaves by Object.is. */
function facts(value: unknown, path = '$', out: string[] = []): string[] {
  if (typeof value !== 'object' || value === null || value instanceof Uint8Array) {
    out.push(`${path} ${Object.is(value, -0) ? '-0' : String(value)}`);
    return out;
  }
  const shape = Array.isArray(value) ? `[${value.length}]` : '{}';
  out.push(`${path} ${shape} ${Object.keys(value).join(',')}`);
  for (const key of Object.keys(value))
    facts((value as Record<string, unknown>)[key], `${path}.${key}`, out);
  return out;
}

function sparse(...items: unknown[]): unknown[] {
  const list: unknown[] = [];
  items.forEach((item, i) => {
    if (item !== HOLE) list[i] = item;
  });
  list.length = items.length;
  return list;
}
const HOLE = Symbol('hole');

const { value } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constantFrom<unknown>(undefined, null, -0, 0, 1, -1.5, true, '', 'é'),
    fc.string({ maxLength: 8 }),
    fc.double({ noNaN: true }),
    fc.uint8Array({ maxLength: 4 }),
    fc.sparseArray(tie('value'), { maxLength: 8 }),
    fc.array(tie('value'), { maxLength: 8 }),
    fc.dictionary(fc.string({ maxLength: 4 }), tie('value'), { maxKeys: 6 }),
  ),
}));

describe('the state codec', () => {
  it('reads back undefined, -0, holes and keys holding undefined as they were written', () => {
    const state = {
      none: undefined,
      zero: -0,
      list: sparse(1, HOLE, undefined, -0, HOLE),
      entry: { note: undefined },
      empty: {},
    };

    const back = decodeState(encodeState(state)) as typeof state;

    expect(facts(back)).toEqual(facts(state));
    expect(Object.is(back.zero, -0)).toBe(true);
    expect('none' in back && 'note' in back.entry && !('note' in back.empty)).toBe(true);
    expect(Object.keys(back.list)).toEqual(['0', '2', '3']);
    expect(back.list).toHaveLength(5);
  });

  it('reads back any generated value, holes included, as it was written', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(facts(decodeState(encodeState(v)))).toEqual(facts(v));
      }),
      { numRuns: 2000 },
    );
  });

  it('writes a value without undefined, -0 or holes as the payload codec does', () => {
    const plain = { a: [1, 'é', null, { b: new Uint8Array([1]) }], c: 0, d: -1 };

    expect(markStateValue(plain)).toBe(plain);
    expect(encodeState(plain)).toEqual(encodeValue(plain));
    expect(decodeState(encodeValue(plain))).toEqual(decodeValue(encodeValue(plain)));
  });

  it('copies only the path to a marked value, and keeps a __proto__ key a key', () => {
    const kept = { x: 1 };
    const withProto = JSON.parse('{"__proto__": {"u": null}}') as Record<string, unknown>;
    (withProto['__proto__'] as { u: unknown }).u = undefined;
    const state = { kept, changed: { u: undefined }, odd: withProto };

    const marked = markStateValue(state) as Record<string, Record<string, unknown>>;

    expect(marked['kept']).toBe(kept);
    expect(marked['changed']?.['u']).toBeInstanceOf(ExtData);
    expect(Object.keys(marked['odd'] ?? {})).toEqual(['__proto__']);
  });

  it('reads back a value as deep as the codec goes', () => {
    let deep: unknown = -0;
    for (let i = 1; i < CODEC_MAX_DEPTH; i++) deep = [deep];

    let back = decodeState(encodeState(deep));

    for (let i = 1; i < CODEC_MAX_DEPTH; i++) back = (back as unknown[])[0];
    expect(Object.is(back, -0)).toBe(true);
  });

  it('refuses an extension of its type that it does not know', () => {
    expect(() => decodeState(encodeValue([new ExtData(0, Uint8Array.of(9))]))).toThrow(
      'Unknown state value extension',
    );
    expect(() => decodeState(encodeValue({ a: new ExtData(0, Uint8Array.of(2)) }))).toThrow(
      'A hole outside an array',
    );
  });
});
