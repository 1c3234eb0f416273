import { describe, expect, it } from 'vitest';
import { tagProblem } from '../src/catalog.ts';
import {
  matchFiles,
  MAX_EXPRESSION_DEPTH,
  MAX_EXPRESSION_TAGS,
  parseTagExpression,
} from '../src/expression.ts';

const index = {
  photos: { a: true, b: true, c: true },
  '2024': { a: true, b: true, d: true },
  private: { b: true },
} as const;
const all = (): string[] => ['a', 'b', 'c', 'd', 'e'];

function find(source: string): string[] {
  return [...matchFiles(source, parseTagExpression(source), index, all)].sort();
}

function errorOf(run: () => unknown): Error {
  try {
    run();
  } catch (err) {
    return err as Error;
  }
  return expect.unreachable('no error was thrown');
}

describe('tag expressions', () => {
  it('matches files carrying every tag joined by and', () => {
    expect(find('photos and 2024')).toEqual(['a', 'b']);
  });

  it('matches files carrying any tag joined by or', () => {
    expect(find('private or 2024')).toEqual(['a', 'b', 'd']);
  });

  it('subtracts the negated side of and not', () => {
    expect(find('photos and 2024 and not private')).toEqual(['a']);
  });

  it('negates against every file for a lone not', () => {
    expect(find('not photos')).toEqual(['d', 'e']);
  });

  it('binds and tighter than or', () => {
    expect(find('private or photos and not 2024')).toEqual(['b', 'c']);
  });

  it('lets parentheses override precedence', () => {
    expect(find('(private or photos) and not 2024')).toEqual(['c']);
  });

  it('reads operators in any case', () => {
    expect(find('photos AND Not private')).toEqual(['a', 'c']);
  });

  it('points a caret at a dangling operator', () => {
    const err = errorOf(() => parseTagExpression('photos and and 2024'));

    expect(err).toBeCausewayError('CW_INVALID_ARGUMENT');
    expect(err.message).toContain('column 12');
    expect(err.message).toContain('  photos and and 2024\n             ^^^');
  });

  it('points at the end of an unclosed parenthesis', () => {
    const err = errorOf(() => parseTagExpression('(photos or 2024'));

    expect(err.message).toContain('found the end of the expression');
    expect(err.message).toContain('  (photos or 2024\n                 ^');
  });

  it('points at two tags with no operator between them', () => {
    const err = errorOf(() => parseTagExpression('photos 2024'));

    expect(err.message).toContain('expected "and", "or" or the end at column 8');
  });

  it('points at a character that is not part of the language', () => {
    const err = errorOf(() => parseTagExpression('photos & 2024'));

    expect(err.message).toContain('found "&"');
    expect(err.message).toContain('  photos & 2024\n         ^');
  });

  it('refuses an unknown tag with a caret under it', () => {
    const err = errorOf(() => find('photos and holidays'));

    expect(err).toBeCausewayError('CW_INVALID_ARGUMENT');
    expect(err.message).toContain('Unknown tag "holidays" at column 12');
    expect(err.message).toContain('  photos and holidays\n             ^^^^^^^^');
  });

  it('finds a tag of letters outside the basic plane, which tag names allow', () => {
    // Arrange: 𠀀 (U+20000) and 𝒳 (U+1D4B3) are letters, each two UTF-16 units.
    const astral = { '𠀀': { a: true }, '𝒳': { b: true } } as const;
    const source = '𠀀 or 𝒳';
    // Act
    const found = matchFiles(source, parseTagExpression(source), astral, all);
    // Assert
    expect([...found].sort()).toEqual(['a', 'b']);
    expect(tagProblem('𠀀')).toBeNull();
  });

  it('names a whole character outside the basic plane that is not part of the language', () => {
    const err = errorOf(() => parseTagExpression('photos 😀'));

    expect(err.message).toContain('found "😀"');
  });

  it('refuses nesting deeper than the limit with a typed error, not a stack overflow', () => {
    const err = errorOf(() =>
      parseTagExpression(`${'('.repeat(20_000)}photos${')'.repeat(20_000)}`),
    );

    expect(err).toBeCausewayError('CW_INVALID_ARGUMENT');
    expect(err.message).toContain(
      `nested more than ${MAX_EXPRESSION_DEPTH} deep at column ${MAX_EXPRESSION_DEPTH + 1}`,
    );
  });

  it('refuses a chain of nots deeper than the limit with a typed error', () => {
    const err = errorOf(() => parseTagExpression(`${'not '.repeat(20_000)}photos`));

    expect(err).toBeCausewayError('CW_INVALID_ARGUMENT');
  });

  it('accepts nesting up to the limit', () => {
    expect(find(`${'not '.repeat(MAX_EXPRESSION_DEPTH)}photos`)).toEqual(['a', 'b', 'c']);
  });

  it('refuses more tags than the limit before evaluating them', () => {
    const source = Array.from({ length: 20_000 }, () => 'photos').join(' and ');

    const err = errorOf(() => find(source));

    expect(err).toBeCausewayError('CW_INVALID_ARGUMENT');
    expect(err.message).toContain(`more than ${MAX_EXPRESSION_TAGS} tags`);
  });

  it('evaluates an expression of as many tags as the limit allows', () => {
    const source = Array.from({ length: MAX_EXPRESSION_TAGS }, () => 'photos').join(' and ');

    expect(find(source)).toEqual(['a', 'b', 'c']);
  });
});
