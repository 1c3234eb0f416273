import { firstDivergence, input, MemoryStore, newEntityId, type Input } from '@causeway/runtime';
import { describe, expect, it } from 'vitest';
import {
  admit,
  cellOf,
  columnOf,
  GOLDEN_EVERY,
  makeWorld,
  PlayerJoined,
  RESPAWN_MS,
  Steer,
  TICK_MS,
  type WireInput,
} from '../src/sim/index.ts';

const SEED = 11;
// Joining ids are made by newEntityId() from the wall clock, so ticks start from it too.
const T0 = Date.now();
const at = (tick: number): number => T0 + tick * TICK_MS;

function joinInput(name: string, actor: string): Input {
  return input(PlayerJoined, newEntityId(), { name }, actor);
}

/** Runs `ticks` ticks; `script(tick)` gives each tick's inputs. */
async function play(
  world: ReturnType<typeof makeWorld>,
  ticks: number,
  script: (tick: number) => readonly Input[] = () => [],
): Promise<void> {
  for (let t = (world.lastCommit?.tick ?? 0) + 1; t <= ticks; t++) {
    await world.tick(script(t), { at: at(t) });
  }
}

describe('the arena world', () => {
  it('spawns a joining player as a living snake of four cells', async () => {
    const world = makeWorld(new MemoryStore(), { seed: SEED });
    const join = joinInput('ann', 'p1');

    await world.tick([join], { at: at(1) });

    const snake = world.state.snake[join.entity];
    expect(snake?.alive).toBe(true);
    expect(snake?.body.length).toBeGreaterThanOrEqual(4);
  });

  it('moves a snake one cell per tick in its heading', async () => {
    const world = makeWorld(new MemoryStore(), { seed: SEED });
    const join = joinInput('ann', 'p1');
    await world.tick([join], { at: at(1) });
    const before = world.state.snake[join.entity]?.body[0] as number;
    const heading = world.state.snake[join.entity]?.heading;

    await world.tick([], { at: at(2) });

    const after = world.state.snake[join.entity]?.body[0] as number;
    expect(after - before).toBe(heading === 1 ? 1 : -1);
  });

  it('kills a snake that runs into the wall and respawns it after the delay', async () => {
    const world = makeWorld(new MemoryStore(), { seed: SEED });
    const join = joinInput('ann', 'p1');
    await world.tick([join], { at: at(1) });
    const steerUp = input(Steer, join.entity, { dir: 0 }, 'p1');

    let died = 0;
    for (let t = 2; died === 0; t++) {
      const result = await world.tick(t === 2 ? [steerUp] : [], { at: at(t) });
      died = result.events.some((e) => e.type === 'SnakeDied') ? t : 0;
    }
    expect(world.state.snake[join.entity]?.alive).toBe(false);
    await play(world, died + RESPAWN_MS / TICK_MS);

    expect(world.state.snake[join.entity]?.alive).toBe(true);
    expect(world.state.snake[join.entity]?.deaths).toBe(1);
  });

  it('gives two worlds fed the same inputs the same hash at every tick', async () => {
    const a = makeWorld(new MemoryStore(), { seed: SEED });
    const b = makeWorld(new MemoryStore(), { seed: SEED });
    const joins = [joinInput('ann', 'p1'), joinInput('bob', 'p2'), joinInput('cy', 'p3')];
    const script = (t: number): Input[] =>
      t === 1
        ? joins
        : joins.map((j, i) =>
            input(Steer, j.entity, { dir: ((t + i) % 4) as 0 | 1 | 2 | 3 }, `p${i + 1}`),
          );

    await play(a, 200, script);
    await play(b, 200, script);

    expect(await firstDivergence(a, b)).toMatchObject({ ok: true, ticks: 200 });
  });

  it('places a golden apple every GOLDEN_EVERY ticks', async () => {
    const world = makeWorld(new MemoryStore(), { seed: SEED });

    await play(world, GOLDEN_EVERY);

    const values = Object.values(world.state.food).map((f) => f.value);
    expect(values).toContain(5);
  });

  it('with the injected bug, diverges at the first golden apple after the bug starts', async () => {
    const honest = makeWorld(new MemoryStore(), { seed: SEED });
    const buggy = makeWorld(new MemoryStore(), { seed: SEED, bugFromTick: 30 });

    await play(honest, 120);
    await play(buggy, 120);
    const check = await firstDivergence(honest, buggy, {
      makeSystem: (store) => makeWorld(store, { seed: SEED }),
    });

    expect(check.ok ? null : check.divergence.tick).toBe(GOLDEN_EVERY);
    expect(check.ok ? [] : check.divergence.event?.fields).toEqual(['data']);
  });
});

describe('admitting wire inputs', () => {
  it('drops a steer sent by someone other than the snake owner', async () => {
    const world = makeWorld(new MemoryStore(), { seed: SEED });
    const join = joinInput('ann', 'p1');
    await world.tick([join], { at: at(1) });
    const wire: WireInput[] = [
      { type: 'Steer', entity: join.entity, data: { dir: 0 }, actor: 'intruder' },
      { type: 'Steer', entity: join.entity, data: { dir: 2 }, actor: 'p1' },
    ];

    const admitted = admit(world, wire, at(2));

    expect(admitted.map((i): unknown[] => [i.actor, i.data])).toEqual([['p1', { dir: 2 }]]);
  });

  it('drops a second join of the same entity and a malformed direction', () => {
    const world = makeWorld(new MemoryStore(), { seed: SEED });
    const entity = newEntityId();
    const wire: WireInput[] = [
      { type: 'PlayerJoined', entity, data: { name: 'ann' }, actor: 'p1' },
      { type: 'PlayerJoined', entity, data: { name: 'ann' }, actor: 'p1' },
      { type: 'Steer', entity, data: { dir: 7 }, actor: 'p1' },
    ];

    const admitted = admit(world, wire, at(1));

    expect(admitted.map((i) => i.type.name)).toEqual(['PlayerJoined']);
  });

  it('keeps a tick whose joins carry an emoji at the name limit and a lone surrogate', async () => {
    // Arrange: 15 letters and an emoji (17 UTF-16 units), and a hostile peer's lone surrogate.
    const world = makeWorld(new MemoryStore(), { seed: SEED });
    const ann = newEntityId();
    const bob = newEntityId();
    const eve = newEntityId();
    const wire: WireInput[] = [
      { type: 'PlayerJoined', entity: ann, data: { name: 'ann' }, actor: 'p1' },
      { type: 'PlayerJoined', entity: bob, data: { name: 'bbbbbbbbbbbbbbb😀x' }, actor: 'p2' },
      { type: 'PlayerJoined', entity: eve, data: { name: 'e\ud800ve' }, actor: 'p3' },
    ];

    // Act
    await world.tick(admit(world, wire, at(1)), { at: at(1) });

    // Assert
    expect(world.state.snake[ann]?.name).toBe('ann');
    expect(world.state.snake[bob]?.name).toBe('bbbbbbbbbbbbbbb😀');
    expect(world.state.snake[eve]?.name).toBe('e\ufffdve');
  });
});

describe('cells', () => {
  it('numbers cells row by row', () => {
    expect(columnOf(cellOf(5, 3))).toBe(5);
  });
});
