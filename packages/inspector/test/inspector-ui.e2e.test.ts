// The inspector's UI end to end: a real arena system on a real file store, the real agent
// attached to it, and the built UI in headless Chromium. Every test leaves a screenshot in
// packages/inspector/test-results/.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '@causeway/adapters';
import {
  firstDivergence,
  rebuild,
  type EventStore,
  type EventSystem,
  type StoredEnvelope,
  type TickCommit,
} from '@causeway/runtime';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachInspector, type AttachedInspector } from '../src/agent/index.ts';
import {
  makeArena,
  makeSystem,
  playArena,
  player,
  START,
  arenaInputs,
  type Arena,
} from './fixtures/arena-app.ts';
import { launchChromium, requireChromium } from '../../../test/browser/chromium.ts';
import { buildUi, screenshot } from './support/browser.ts';

const TICKS = 60;
const chromium = await requireChromium();

let folder: string;
let system: EventSystem<Arena>;
let inspector: AttachedInspector;
let browser: Browser;
let page: Page;
let peerB: string;

async function allEvents(store: EventStore): Promise<StoredEnvelope[]> {
  const page = await store.readEvents({ fromSeq: 1, limit: 1000 });
  return [...page.items];
}

async function commitOf(tick: number): Promise<TickCommit> {
  const [commit] = await system.store.readCommits(tick - 1, 1);
  if (commit === undefined) throw new Error(`tick ${tick} is not committed`);
  return commit;
}

/** The health of a player after `tick`, as the runtime rebuilds it (the truth the UI must show). */
async function healthAfter(tick: number, id: string): Promise<number | undefined> {
  const rebuilt = await rebuild(system.store, makeSystem, { tick });
  return rebuilt.state.health[id];
}

/** Opens the UI at a selection (the URL fragment) and waits for the timeline. */
async function open(hash = ''): Promise<void> {
  // A new document each time: going to the same address with another fragment would keep the
  // page (and any dialog) as it was.
  await page.goto('about:blank');
  await page.goto(`${inspector.url}${hash}`);
  await page.getByTestId('timeline').locator('[role=option]').first().waitFor();
}

function stateValue(path: string): ReturnType<Page['locator']> {
  return page.locator(`[data-path="${path}"] .state-value`);
}

/** Opens a branch of the state tree unless it is open already. */
async function expand(path: string): Promise<void> {
  const row = page.locator(`[data-path="${path}"]`);
  await row.waitFor();
  if ((await row.getAttribute('aria-expanded')) === 'false') await row.locator('.caret').click();
}

function selectedSeq(): number {
  const seq = /[#&]seq=(\d+)/.exec(page.url())?.[1];
  return seq === undefined ? NaN : Number(seq);
}

describe.skipIf(!chromium.available)('the inspector UI in Chromium', () => {
  beforeAll(async () => {
    await buildUi();
    folder = await mkdtemp(join(tmpdir(), 'causeway-inspector-e2e-'));
    system = makeArena(await openStore(`file:${join(folder, 'a')}`));
    await playArena(system, 1, TICKS);
    // Peer B runs the same inputs with a different bump damage: the logs agree until the first
    // bump, then their states (and hashes) part.
    peerB = join(folder, 'b');
    const other = makeArena(await openStore(`file:${peerB}`), { damage: 4 });
    await playArena(other, 1, TICKS);
    await other.close();
    inspector = await attachInspector(system, {
      makeSystem,
      systemModule: { specifier: './fixtures/arena-app.ts' },
      compareWith: [`file:${peerB}`],
      print: () => undefined,
    });
    await inspector.service.history?.settled();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1440, height: 860 } });
  });

  afterAll(async () => {
    await browser?.close();
    await inspector?.close();
    await system?.close();
    if (folder !== undefined) await rm(folder, { recursive: true, force: true });
  });

  it('attaches to the running system and shows its log', async () => {
    await open();
    await expect.poll(() => page.locator('.header-facts').innerText()).toContain(`${TICKS} ticks`);
    const firstRow = page.getByTestId('timeline').locator('[role=option]').first();
    expect(await firstRow.locator('.type-name').innerText()).toBe('PlayerJoined');
    await screenshot(page, 'attach');
  });

  it('scrubs to a tick and shows the state after it', async () => {
    const tick = 41;
    const commit = await commitOf(tick);
    const id = player(3);
    await open('#seq=1');
    const ruler = page.getByTestId('tick-ruler');
    const box = await ruler.boundingBox();
    if (box === null) throw new Error('the tick ruler is not drawn');
    await page.mouse.click(box.x + ((tick - 1) / (TICKS - 1)) * box.width, box.y + box.height / 2);
    await expect.poll(selectedSeq).toBe(commit.lastSeq);
    await expand('health');
    await expect
      .poll(() => stateValue(`health.${id}`).innerText())
      .toBe(String(await healthAfter(tick, id)));
    expect(await ruler.getAttribute('aria-valuenow')).toBe(String(tick));
    await screenshot(page, 'scrub-to-tick');
  });

  it('steps back and shows the value before the event', async () => {
    const bump = (await allEvents(system.store)).find(
      (e) => e.type === 'Bumped' && e.entity === player(3),
    );
    if (bump === undefined) throw new Error('the script has no bump of player 3');
    const path = `health.${bump.entity}`;
    const after = await healthAfter(bump.tick, bump.entity);
    const before = await healthAfter(bump.tick - 1, bump.entity);
    await open(`#seq=${bump.seq}`);
    await expect.poll(() => stateValue(path).innerText()).toBe(String(after));
    expect(await page.locator(`[data-path="${path}"]`).getAttribute('class')).toContain('changed');
    await page.getByTestId('timeline').focus();
    await page.keyboard.press('ArrowLeft');
    await expect.poll(selectedSeq).toBe(bump.seq - 1);
    await expect.poll(() => stateValue(path).innerText()).toBe(String(before));
    await screenshot(page, 'step-back');
  });

  it('opens the causation chain of an event, from its input to what it caused', async () => {
    const events = await allEvents(system.store);
    const bump = events.find((e) => e.type === 'Bumped');
    if (bump === undefined) throw new Error('the script has no bump');
    await open(`#seq=${bump.seq}&tab=event`);
    const graph = page.getByTestId('causation-graph');
    await graph.waitFor();
    const chain = events.filter((e) => e.correlation === bump.correlation).map((e) => e.type);
    expect(chain).toEqual(['MoveRequested', 'Moved', 'Bumped', 'ShieldRaised']);
    await expect
      .poll(() => graph.locator('.node-type').allTextContents())
      .toEqual(expect.arrayContaining(chain));
    expect(await graph.locator('.node.selected .node-type').textContent()).toBe('Bumped');
    await screenshot(page, 'causation-chain');
    const input = events.find((e) => e.id === bump.correlation);
    await graph.locator(`.node[data-seq="${input?.seq}"]`).click();
    await expect.poll(selectedSeq).toBe(input?.seq);
  });

  it('filters the timeline by entity', async () => {
    const id = player(2);
    await open('#seq=1');
    await page.locator('#filter-entity').fill(id);
    await page.locator('#filter-entity').press('Enter');
    const rows = page.getByTestId('timeline').locator('[role=option]');
    await expect.poll(() => rows.first().locator('.c-entity').getAttribute('title')).toBe(id);
    const cells = await rows.locator('.c-entity').all();
    const entities = await Promise.all(cells.map((cell) => cell.getAttribute('title')));
    const expected = (await allEvents(system.store)).filter((e) => e.entity === id);
    expect(new Set(entities)).toEqual(new Set([id]));
    expect(await rows.first().getAttribute('data-seq')).toBe(String(expected[0]?.seq));
    expect(page.url()).toContain(`entity=${id}`);
    await screenshot(page, 'filter-by-entity');
  });

  it("opens a value's path history: every event that changed it, before and after", async () => {
    const id = player(3);
    // The value changes when the player joins and at every bump that still has health to take.
    let health = 0;
    const changes = (await allEvents(system.store)).filter((e) => {
      if (e.entity !== id) return false;
      const next =
        e.type === 'PlayerJoined'
          ? 10
          : e.type === 'Bumped'
            ? Math.max(0, health - (e.data as { damage: number }).damage)
            : health;
      const changed = next !== health || e.type === 'PlayerJoined';
      health = next;
      return changed;
    });
    await open(`#seq=${system.lastCommit?.lastSeq ?? 1}`);
    await expand('health');
    await stateValue(`health.${id}`).click();
    const rows = page.locator('.path-history tbody tr');
    await expect.poll(() => rows.count()).toBe(changes.length);
    const seqs = await rows.locator('td:first-child').allInnerTexts();
    expect(seqs.map(Number)).toEqual(changes.map((e) => e.seq));
    expect(await rows.first().locator('td').nth(5).innerText()).toBe('10');
    await screenshot(page, 'path-history');
  });

  it('searches inside the state, keys and values', async () => {
    await open(`#seq=${system.lastCommit?.lastSeq ?? 1}`);
    await page.keyboard.press('/');
    await page.keyboard.type('chandra');
    const matched = page.locator('.state-row.matched');
    await expect.poll(() => matched.count()).toBe(1);
    expect(await matched.getAttribute('data-path')).toBe(`name.${player(3)}`);
    expect(await page.locator('.state-panel .panel-toolbar').innerText()).toContain('1 match');
    expect(page.url()).toContain('q=chandra');
    await screenshot(page, 'state-search');
  });

  it('offers the logs the agent may compare with, and shows why it refuses another', async () => {
    // Arrange
    await open('#seq=1&tab=divergence');
    const offered = page.locator('#compare-targets option');
    await expect.poll(() => offered.count()).toBe(1);
    // Act
    await page.locator('#compare-url').fill(`file:${folder}`);
    await page.locator('#compare-url').press('Enter');
    // Assert
    expect(await offered.first().getAttribute('value')).toBe(`file:${peerB}`);
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.innerText()).toContain('opens only the logs it was started with');
  });

  it('shows where two logs diverge, side by side', async () => {
    const other = await openStore(`file:${peerB}`, { readOnly: true });
    const expected = await firstDivergence(system.store, other);
    await other.close();
    if (expected.ok) throw new Error('the peers were meant to diverge');
    await open('#seq=1&tab=divergence');
    await page.locator('#compare-url').fill(`file:${peerB}`);
    await page.locator('#compare-url').press('Enter');
    const verdict = page.locator('.verdict');
    await expect
      .poll(() => verdict.innerText(), { timeout: 30_000 })
      .toContain(`tick ${expected.divergence.tick}`);
    const sides = page.getByTestId('divergence-sides');
    expect(await sides.locator('.envelope-row.differs dt').allInnerTexts()).toContain('hash');
    await screenshot(page, 'divergence');
  });

  it('exports a tick range as a test that replays its inputs', async () => {
    await open('#seq=1');
    await page.getByRole('button', { name: 'Export test…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('From tick').fill('2');
    await dialog.getByLabel('To tick').fill('5');
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    const source = page.getByTestId('exported-test');
    await source.waitFor();
    const text = await source.innerText();
    expect(text).toContain('./fixtures/arena-app.ts');
    for (let t = 2; t <= 5; t++) {
      for (const sent of arenaInputs(t)) expect(text).toContain(JSON.stringify(sent.entity));
    }
    expect(text).toContain(String(START + 5 * 1000));
    await screenshot(page, 'export-test');
  });

  it('follows the live system as new ticks commit', async () => {
    await open('#seq=1');
    await page.getByRole('button', { name: /Follow/ }).click();
    await playArena(system, TICKS + 1, TICKS + 2);
    const last = system.lastCommit?.lastSeq ?? 0;
    await expect.poll(selectedSeq, { timeout: 10_000 }).toBe(last);
    await expect
      .poll(() => page.locator('.header-facts').innerText())
      .toContain(`${TICKS + 2} ticks`);
    await screenshot(page, 'follow-live');
  });
});
