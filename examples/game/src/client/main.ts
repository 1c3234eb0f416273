// The game page: the whole simulation runs here, in lockstep with every other peer through the
// relay; the canvas draws the local world after each tick.
import { botBrain } from '../bot/player.ts';
import { LockstepPeer } from '../lockstep/peer.ts';
import type { PeerInfo, SocketLike } from '../lockstep/protocol.ts';
import { HEIGHT, WIDTH, type Direction } from '../sim/arena.ts';
import { CELL, colorOf, drawArena } from './view.ts';

const params = new URLSearchParams(location.search);
const name = (params.get('name') ?? '').trim() || `guest-${Math.floor(Math.random() * 900 + 100)}`;
const playsItself = params.has('bot');
const desyncParam = params.get('desync');
const bugAfterJoin = desyncParam === null ? undefined : Math.max(1, Number(desyncParam) || 1);

function element<T extends HTMLElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`The game page has no ${selector} element.`);
  return found;
}

const canvas = element<HTMLCanvasElement>('#board');
const scores = element('#scores');
const status = element('#status');
const banner = element('#desync');
const hint = element('#hint');
const ratio = window.devicePixelRatio || 1;
canvas.width = WIDTH * CELL * ratio;
canvas.height = HEIGHT * CELL * ratio;
canvas.style.width = `${WIDTH * CELL}px`;
canvas.style.height = `${HEIGHT * CELL}px`;
const context = canvas.getContext('2d');
if (context === null) throw new Error('This browser gives no 2D canvas.');
const g = context;
g.scale(ratio, ratio);

const storageKey = `causeway-game-actor:${name}`;
const savedActor = playsItself ? null : sessionStorage.getItem(storageKey);
const socket = new WebSocket(
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`,
);
let desync: { tick: number; name: string; report: string } | null = null;
let peers: readonly PeerInfo[] = [];

const peer = new LockstepPeer({
  socket: socket as unknown as SocketLike,
  name,
  role: playsItself ? 'bot' : 'player',
  ...(savedActor === null ? {} : { actor: savedActor }),
  ...(bugAfterJoin === undefined ? {} : { bugAfterJoin }),
  ...(playsItself ? { brain: botBrain(name) } : {}),
  onPeers(list) {
    peers = list;
  },
  onDesync(d) {
    desync ??= d;
    banner.hidden = false;
    element('#desync h2').textContent = `Desync caught at tick ${d.tick}: ${d.name}`;
    element('#desync pre').textContent = d.report;
  },
  onTick(_result, live) {
    if (live && peer.actor !== '' && !playsItself) sessionStorage.setItem(storageKey, peer.actor);
  },
  onError(error) {
    console.error(error);
    status.textContent = `Error: ${error instanceof Error ? error.message : String(error)}`;
  },
});

const keys: Record<string, Direction> = {
  ArrowUp: 0,
  ArrowRight: 1,
  ArrowDown: 2,
  ArrowLeft: 3,
  w: 0,
  d: 1,
  s: 2,
  a: 3,
};
window.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' || event.key === ' ') {
    peer.join(name);
    event.preventDefault();
    return;
  }
  const dir = keys[event.key];
  if (dir !== undefined) {
    peer.steer(dir);
    event.preventDefault();
  }
});

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function renderScores(): void {
  const world = peer.world;
  if (world === null) return;
  const arena = world.state;
  const me = peer.snake;
  const rows = Object.keys(arena.snake)
    .flatMap((id) => {
      const s = arena.snake[id];
      return s === undefined ? [] : [{ id, s }];
    })
    .sort((a, b) => b.s.score - a.s.score || (a.id < b.id ? -1 : 1))
    .map(({ id, s }) => {
      const state = s.alive ? `${s.body.length}` : '<span class="dead">respawning</span>';
      const you = id === me ? ' <span class="you">you</span>' : '';
      return `<tr><td><i style="background:${colorOf(s)}"></i>${escapeHtml(s.name)}${you}</td><td>${s.score}</td><td>${state}</td><td>${s.kills}</td><td>${s.deaths}</td></tr>`;
    })
    .join('');
  scores.innerHTML = `<table><thead><tr><th>snake</th><th>score</th><th>length</th><th>kills</th><th>deaths</th></tr></thead><tbody>${rows}</tbody></table>`;
  const commit = world.lastCommit;
  const inSync = peers.filter((p) => !p.desynced).length;
  const sync =
    desync === null
      ? `<b class="ok">in lockstep</b> · ${inSync} peers`
      : `<b class="bad">desync at tick ${desync.tick}</b>`;
  status.innerHTML = `tick <b>${commit?.tick ?? 0}</b> · hash <code>${commit?.hash ?? '-'}</code><br>${sync}${peer.live ? '' : ' · catching up…'}${peer.ended ? ' · <b>match over</b>' : ''}`;
  hint.textContent = playsItself
    ? `${name} plays by itself (bot).`
    : me === null
      ? 'Press Enter to join · arrows or WASD steer'
      : 'Arrows or WASD steer · eat pellets, avoid walls and snakes';
}

/** A caption across the board's lower third. */
function caption(title: string, subtitle: string): void {
  const w = WIDTH * CELL;
  const y = HEIGHT * CELL * 0.7;
  g.fillStyle = 'rgba(7, 11, 22, 0.72)';
  g.fillRect(0, y - 34, w, subtitle === '' ? 52 : 68);
  g.textAlign = 'center';
  g.fillStyle = '#f8fafc';
  g.font = '600 22px system-ui, sans-serif';
  g.fillText(title, w / 2, y);
  if (subtitle !== '') {
    g.fillStyle = '#94a3b8';
    g.font = '14px system-ui, sans-serif';
    g.fillText(subtitle, w / 2, y + 22);
  }
}

let frame = 0;
let shownTick = -1;
function paint(): void {
  frame++;
  const world = peer.world;
  if (world !== null) {
    const me = peer.snake;
    drawArena(g, world.state, me, frame);
    const mine = me === null ? undefined : world.state.snake[me];
    if (!playsItself && peer.live && !peer.ended && mine?.alive !== true) {
      caption(
        me === null ? 'Press Enter to join' : 'Respawning…',
        me === null ? 'arrows or WASD steer' : '',
      );
    }
    const tick = world.lastCommit?.tick ?? 0;
    if (tick !== shownTick || frame % 30 === 0) {
      shownTick = tick;
      renderScores();
    }
  }
  requestAnimationFrame(paint);
}
requestAnimationFrame(paint);

/** What the end-to-end tests read from the page. */
interface GameProbe {
  readonly tick: number;
  readonly ended: boolean;
  readonly actor: string;
  readonly desyncTick: number | null;
  hashAt(tick: number): string | null;
}
const probe: GameProbe = {
  get tick() {
    return peer.tick;
  },
  get ended() {
    return peer.ended;
  },
  get actor() {
    return peer.actor;
  },
  get desyncTick() {
    return desync?.tick ?? null;
  },
  hashAt: (tick) => peer.hashAt(tick) ?? null,
};
(window as unknown as { causewayGame: GameProbe }).causewayGame = probe;
