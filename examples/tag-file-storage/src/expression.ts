import { CausewayError, ErrorCodes, type Table } from '@causeway/runtime';
import { entryOf } from './catalog.ts';

/** A parsed tag expression. `at` is the column (0-based) of the tag, for messages. */
export type TagExpression =
  | { readonly kind: 'tag'; readonly name: string; readonly at: number }
  | { readonly kind: 'not'; readonly operand: TagExpression }
  | { readonly kind: 'and' | 'or'; readonly left: TagExpression; readonly right: TagExpression };

interface Token {
  readonly text: string;
  readonly kind: 'word' | 'and' | 'or' | 'not' | '(' | ')' | 'end' | 'bad';
  readonly at: number;
}

const WORD = /[\p{L}\p{N}_.:-]/u;

/** The most tags one expression may name. */
export const MAX_EXPRESSION_TAGS = 1000;
/** The deepest an expression may nest parentheses and `not`s. */
export const MAX_EXPRESSION_DEPTH = 100;

/** The character (a whole code point: a letter outside the BMP is two UTF-16 units) at `i`. */
function charAt(source: string, i: number): string {
  return String.fromCodePoint(source.codePointAt(i)!);
}

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = charAt(source, i);
    if (/\s/.test(c)) {
      i += c.length;
    } else if (c === '(' || c === ')') {
      tokens.push({ text: c, kind: c, at: i++ });
    } else if (WORD.test(c)) {
      const start = i;
      while (i < source.length && WORD.test(charAt(source, i))) i += charAt(source, i).length;
      const text = source.slice(start, i);
      const lower = text.toLowerCase();
      const kind = lower === 'and' || lower === 'or' || lower === 'not' ? lower : 'word';
      tokens.push({ text, kind, at: start });
    } else {
      tokens.push({ text: c, kind: 'bad', at: i });
      i += c.length;
    }
  }
  tokens.push({ text: '', kind: 'end', at: source.length });
  return tokens;
}

/** `source` with a caret line under column `at`, for error messages. */
export function pointAt(source: string, at: number, width = 1): string {
  return `  ${source}\n  ${' '.repeat(at)}${'^'.repeat(Math.max(1, width))}`;
}

function tooLarge(source: string, token: Token, what: string): CausewayError {
  return new CausewayError(
    ErrorCodes.InvalidArgument,
    `Tag expression too large: ${what} at column ${token.at + 1}.\n${pointAt(source, token.at, token.text.length)}\nSplit the search into smaller ones.`,
    { expression: source, column: token.at + 1, found: token.text },
  );
}

function malformed(source: string, token: Token, expected: string): CausewayError {
  const found = token.kind === 'end' ? 'the end of the expression' : JSON.stringify(token.text);
  return new CausewayError(
    ErrorCodes.InvalidArgument,
    `Malformed tag expression: expected ${expected} at column ${token.at + 1}, found ${found}.\n${pointAt(source, token.at, token.text.length)}\nWrite tags joined by and, or, not and parentheses, e.g. 'photos and (2024 or 2025) and not private'.`,
    { expression: source, column: token.at + 1, found: token.text, expected },
  );
}

/**
 * Parses a tag expression: tags joined by `and`, `or`, `not` (any case) and parentheses;
 * `not` binds tightest, then `and`, then `or`. At most {@link MAX_EXPRESSION_TAGS} tags, nested
 * at most {@link MAX_EXPRESSION_DEPTH} deep.
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` naming the offending token's column, with the
 *   expression and a caret under the token in the message: a malformed expression, or one
 *   past those limits.
 */
export function parseTagExpression(source: string): TagExpression {
  const tokens = tokenize(source);
  let pos = 0;
  let depth = 0;
  let tags = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;

  function primary(): TagExpression {
    const token = next();
    if (token.kind === 'word') {
      if (++tags > MAX_EXPRESSION_TAGS)
        throw tooLarge(source, token, `more than ${MAX_EXPRESSION_TAGS} tags`);
      return { kind: 'tag', name: token.text, at: token.at };
    }
    if (token.kind !== '(' && token.kind !== 'not')
      throw malformed(source, token, 'a tag, "not" or "("');
    // Parsing and evaluating recurse once per level: bounded, so no expression overflows the stack.
    if (++depth > MAX_EXPRESSION_DEPTH)
      throw tooLarge(
        source,
        token,
        `parentheses and "not" nested more than ${MAX_EXPRESSION_DEPTH} deep`,
      );
    let inner: TagExpression;
    if (token.kind === 'not') inner = { kind: 'not', operand: primary() };
    else {
      inner = or();
      const close = next();
      if (close.kind !== ')') throw malformed(source, close, '")" or an operator');
    }
    depth--;
    return inner;
  }
  function and(): TagExpression {
    let left = primary();
    while (peek().kind === 'and') {
      next();
      left = { kind: 'and', left, right: primary() };
    }
    return left;
  }
  function or(): TagExpression {
    let left = and();
    while (peek().kind === 'or') {
      next();
      left = { kind: 'or', left, right: and() };
    }
    return left;
  }

  const expression = or();
  const rest = peek();
  if (rest.kind !== 'end') throw malformed(source, rest, '"and", "or" or the end');
  return expression;
}

/** Every tag an expression names, with its column. */
export function tagsOf(expression: TagExpression): { name: string; at: number }[] {
  switch (expression.kind) {
    case 'tag':
      return [{ name: expression.name, at: expression.at }];
    case 'not':
      return tagsOf(expression.operand);
    default:
      return [...tagsOf(expression.left), ...tagsOf(expression.right)];
  }
}

/**
 * The ids of the files an expression matches, from the tag index alone (tag name to the set
 * of ids that carry it). `and` with a negated side is a set difference, so only `not` at the
 * top of a branch reads `all` (every file id).
 *
 * @throws CausewayError `CW_INVALID_ARGUMENT` for a tag no file has ever had, with a caret.
 */
export function matchFiles(
  source: string,
  expression: TagExpression,
  index: Readonly<Table<Readonly<Table<true>>>>,
  all: () => Iterable<string>,
): Set<string> {
  for (const tag of tagsOf(expression)) {
    if (entryOf(index, tag.name) === undefined)
      throw new CausewayError(
        ErrorCodes.InvalidArgument,
        `Unknown tag ${JSON.stringify(tag.name)} at column ${tag.at + 1}: no file has ever been tagged with it.\n${pointAt(source, tag.at, tag.name.length)}\nRun 'tagfs ls --tags' to list the tags in use.`,
        { expression: source, tag: tag.name, column: tag.at + 1 },
      );
  }
  const evaluate = (e: TagExpression): Set<string> => {
    switch (e.kind) {
      case 'tag':
        return new Set(Object.keys(entryOf(index, e.name) ?? {}));
      case 'not': {
        const excluded = evaluate(e.operand);
        const out = new Set<string>();
        for (const id of all()) if (!excluded.has(id)) out.add(id);
        return out;
      }
      case 'or': {
        const out = evaluate(e.left);
        for (const id of evaluate(e.right)) out.add(id);
        return out;
      }
      case 'and': {
        if (e.right.kind === 'not' && e.left.kind !== 'not') {
          const out = evaluate(e.left);
          for (const id of evaluate(e.right.operand)) out.delete(id);
          return out;
        }
        if (e.left.kind === 'not' && e.right.kind !== 'not') {
          const out = evaluate(e.right);
          for (const id of evaluate(e.left.operand)) out.delete(id);
          return out;
        }
        const left = evaluate(e.left);
        const right = evaluate(e.right);
        const [small, large] = left.size <= right.size ? [left, right] : [right, left];
        const out = new Set<string>();
        for (const id of small) if (large.has(id)) out.add(id);
        return out;
      }
    }
  };
  return evaluate(expression);
}
