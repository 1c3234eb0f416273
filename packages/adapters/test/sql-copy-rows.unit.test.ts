import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeValue } from '@causeway/runtime/store-kit';
import { CopyRows } from '../src/sql/copy-rows.ts';
import { msgpackValue } from './msgpack-arbitraries.ts';

type Field =
  | { kind: 'text'; value: string | null }
  | { kind: 'int8'; value: number }
  | { kind: 'int4'; value: number }
  | { kind: 'msgpack'; value: unknown };

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.record({
    kind: fc.constant('text' as const),
    value: fc.option(fc.string({ unit: 'grapheme', maxLength: 60 }), { nil: null }),
  }),
  fc.record({ kind: fc.constant('int8' as const), value: fc.maxSafeInteger() }),
  fc.record({ kind: fc.constant('int8' as const), value: fc.integer() }),
  fc.record({ kind: fc.constant('int4' as const), value: fc.integer() }),
  fc.record({ kind: fc.constant('msgpack' as const), value: msgpackValue }),
);

/** COPY's binary format as the Postgres manual describes it, built field by field. */
function reference(rows: readonly Field[][]): Uint8Array {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  const int = (n: number, bytes: 2 | 4): Buffer => {
    const b = Buffer.alloc(bytes);
    if (bytes === 2) b.writeInt16BE(n);
    else b.writeInt32BE(n);
    return b;
  };
  const sized = (body: Uint8Array): void => {
    parts.push(int(body.length, 4), Buffer.from(body));
  };
  for (const row of rows) {
    parts.push(int(row.length, 2));
    for (const f of row) {
      if (f.kind === 'text') {
        if (f.value === null) parts.push(int(-1, 4));
        else sized(Buffer.from(f.value, 'utf8'));
      } else if (f.kind === 'int8') {
        const b = Buffer.alloc(8);
        b.writeBigInt64BE(BigInt(f.value));
        sized(b);
      } else if (f.kind === 'int4') sized(int(f.value, 4));
      else sized(encodeValue(f.value));
    }
  }
  parts.push(int(-1, 2));
  return new Uint8Array(Buffer.concat(parts));
}

describe('CopyRows', () => {
  it('writes rows in the binary COPY format, msgpack fields byte for byte as encodeValue', () => {
    fc.assert(
      fc.property(fc.array(fc.array(field, { maxLength: 6 }), { maxLength: 6 }), (rows) => {
        const out = new CopyRows(0);
        for (const row of rows) {
          out.row(row.length);
          for (const f of row) {
            if (f.kind === 'text') out.text(f.value);
            else if (f.kind === 'int8') out.int8(f.value);
            else if (f.kind === 'int4') out.int4(f.value);
            else out.msgpack(f.value);
          }
        }
        expect(new Uint8Array(out.finish())).toStrictEqual(reference(rows));
      }),
    );
  });

  it('rethrows what encodeValue throws for a value msgpack cannot carry', () => {
    const out = new CopyRows(0);
    out.row(1);
    expect(() => out.msgpack(10n)).toThrow();
  });
});
