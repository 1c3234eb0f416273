import type { Immutable } from 'immer';
import { cellOf, HEIGHT, WIDTH, type Arena } from '../sim/arena.ts';

const marks = 'ABCDEFGH';

/** The board as text: `#` walls, `*` pellets, `$` golden apples, a letter per snake (capital head). */
export function renderBoard(arena: Immutable<Arena>): string {
  const cells: string[] = new Array<string>(WIDTH * HEIGHT).fill(' ');
  for (const id of Object.keys(arena.food)) {
    const food = arena.food[id];
    if (food !== undefined) cells[food.cell] = food.value > 1 ? '$' : '*';
  }
  for (const id of Object.keys(arena.snake).sort()) {
    const s = arena.snake[id];
    if (s === undefined) continue;
    const mark = marks[s.color % marks.length] ?? '?';
    s.body.forEach((cell, i) => (cells[cell] = i === 0 ? mark : mark.toLowerCase()));
  }
  const rows = [`+${'-'.repeat(WIDTH)}+`];
  for (let y = 0; y < HEIGHT; y++) {
    let row = '|';
    for (let x = 0; x < WIDTH; x++) row += cells[cellOf(x, y)] ?? ' ';
    rows.push(`${row}|`);
  }
  rows.push(rows[0] ?? '');
  return rows.join('\n');
}

/** The scoreboard as text, best first. */
export function renderScores(arena: Immutable<Arena>): string {
  const lines = ['   snake             score  best  kills  deaths'];
  const ids = Object.keys(arena.snake).sort((a, b) => {
    const sa = arena.snake[a]?.score ?? 0;
    const sb = arena.snake[b]?.score ?? 0;
    return sb - sa || (a < b ? -1 : 1);
  });
  for (const id of ids) {
    const s = arena.snake[id];
    if (s === undefined) continue;
    const mark = marks[s.color % marks.length] ?? '?';
    lines.push(
      `${mark}  ${s.name.padEnd(16)} ${String(s.score).padStart(6)} ${String(s.best).padStart(5)} ${String(s.kills).padStart(6)} ${String(s.deaths).padStart(7)}`,
    );
  }
  return lines.join('\n');
}
