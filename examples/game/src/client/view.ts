import type { Immutable } from 'immer';
import { columnOf, HEIGHT, rowOf, WIDTH, type Arena, type Snake } from '../sim/arena.ts';

/** One colour per player slot: bright enough on the dark board, distinct from each other. */
export const palette: readonly string[] = [
  '#4ade80',
  '#60a5fa',
  '#f472b6',
  '#facc15',
  '#fb923c',
  '#a78bfa',
  '#2dd4bf',
  '#f87171',
];

/** Pixels per cell. */
export const CELL = 20;

const BOARD = '#0c1222';
const GRID = '#18213a';

/** The colour of a snake's slot. */
export function colorOf(snake: Immutable<Snake>): string {
  return palette[snake.color % palette.length] ?? '#ffffff';
}

function center(cell: number): [number, number] {
  return [columnOf(cell) * CELL + CELL / 2, rowOf(cell) * CELL + CELL / 2];
}

function drawBoard(g: CanvasRenderingContext2D): void {
  g.fillStyle = BOARD;
  g.fillRect(0, 0, WIDTH * CELL, HEIGHT * CELL);
  g.fillStyle = GRID;
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++)
      g.fillRect(x * CELL + CELL / 2 - 1, y * CELL + CELL / 2 - 1, 2, 2);
  }
}

function drawFood(g: CanvasRenderingContext2D, arena: Immutable<Arena>, frame: number): void {
  for (const id of Object.keys(arena.food)) {
    const food = arena.food[id];
    if (food === undefined) continue;
    const [x, y] = center(food.cell);
    const golden = food.value > 1;
    const pulse = golden ? 1 + 0.12 * Math.sin(frame / 6) : 1;
    g.save();
    g.shadowColor = golden ? '#fde047' : '#fb7185';
    g.shadowBlur = golden ? 18 : 10;
    g.fillStyle = golden ? '#fde047' : '#fb7185';
    g.beginPath();
    g.arc(x, y, (golden ? 7 : 4.5) * pulse, 0, Math.PI * 2);
    g.fill();
    g.restore();
    if (golden) {
      g.fillStyle = '#fffbeb';
      g.beginPath();
      g.arc(x - 2, y - 2, 2, 0, Math.PI * 2);
      g.fill();
    }
  }
}

function drawSnake(g: CanvasRenderingContext2D, snake: Immutable<Snake>, mine: boolean): void {
  const body = snake.body;
  if (!snake.alive || body.length === 0) return;
  const color = colorOf(snake);
  g.save();
  g.lineCap = 'round';
  g.lineJoin = 'round';
  g.shadowColor = color;
  g.shadowBlur = mine ? 16 : 8;
  // The body as one thick stroke through the cell centres, then a lighter stripe along it.
  g.beginPath();
  for (let i = body.length - 1; i >= 0; i--) {
    const [x, y] = center(body[i] as number);
    if (i === body.length - 1) g.moveTo(x, y);
    else g.lineTo(x, y);
  }
  g.strokeStyle = color;
  g.lineWidth = CELL * 0.72;
  g.stroke();
  g.shadowBlur = 0;
  g.strokeStyle = 'rgba(255, 255, 255, 0.22)';
  g.lineWidth = CELL * 0.22;
  g.stroke();
  g.shadowBlur = mine ? 16 : 8;
  g.globalAlpha = 1;
  const [hx, hy] = center(body[0] as number);
  g.fillStyle = color;
  g.beginPath();
  g.arc(hx, hy, CELL * 0.48, 0, Math.PI * 2);
  g.fill();
  g.shadowBlur = 0;
  if (mine) {
    g.strokeStyle = '#ffffff';
    g.lineWidth = 2;
    g.stroke();
  }
  // Eyes look where the snake is heading.
  const dx = [0, 1, 0, -1][snake.heading] ?? 0;
  const dy = [-1, 0, 1, 0][snake.heading] ?? 0;
  for (const side of [-1, 1]) {
    const ex = hx + dx * 4 + -dy * side * 4.5;
    const ey = hy + dy * 4 + dx * side * 4.5;
    g.fillStyle = '#ffffff';
    g.beginPath();
    g.arc(ex, ey, 3.2, 0, Math.PI * 2);
    g.fill();
    g.fillStyle = '#0b1020';
    g.beginPath();
    g.arc(ex + dx * 1.3, ey + dy * 1.3, 1.6, 0, Math.PI * 2);
    g.fill();
  }
  g.restore();
  g.font = '600 11px system-ui, sans-serif';
  g.textAlign = 'center';
  g.fillStyle = 'rgba(226, 232, 240, 0.85)';
  const labelY = hy - CELL * 0.75 < 10 ? hy + CELL * 1.1 : hy - CELL * 0.75;
  g.fillText(snake.name, hx, labelY);
}

/**
 * Draws the arena: the dotted board, the pellets (golden apples pulse), and every living snake
 * with its name; the viewer's own snake gets a white ring.
 */
export function drawArena(
  g: CanvasRenderingContext2D,
  arena: Immutable<Arena>,
  mine: string | null,
  frame: number,
): void {
  drawBoard(g);
  drawFood(g, arena, frame);
  const ids = Object.keys(arena.snake).sort();
  for (const id of ids) {
    const snake = arena.snake[id];
    if (snake !== undefined && id !== mine) drawSnake(g, snake, false);
  }
  const own = mine === null ? undefined : arena.snake[mine];
  if (own !== undefined) drawSnake(g, own, true);
}
