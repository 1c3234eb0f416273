/**
 * `@causeway/runtime/testing`: the testing kit. Property-based replay checks over generated
 * input scripts, a store that crashes on cue, and given/when/then specifications for listeners.
 * Systems the kit makes run in strict mode.
 *
 * @packageDocumentation
 */
export { DEFAULT_START, eventArbitrary, inputsArbitrary, testEntityId } from './arbitraries.ts';
export type { EventArbitrary, InputsSpec } from './arbitraries.ts';
export { assertReplay, checkReplay } from './check-replay.ts';
export type {
  ReplayCheck,
  ReplayCheckName,
  ReplayCheckOptions,
  ReplayFailure,
} from './check-replay.ts';
export { CrashingStore } from './crashing-store.ts';
export { resetMemoryStores } from '../store/memory-store.ts';
export { causewayMatchers } from './matchers.ts';
export type { CausewayMatchers, MatcherResult } from './matchers.ts';
export type { CrashingStoreOptions, WriteOperation } from './crashing-store.ts';
export { resumeScript, runScript } from './script.ts';
export type { Script, ScriptedTick } from './script.ts';
export {
  expected,
  ListenerSpecification,
  SpecificationError,
  ThenClause,
} from './specification.ts';
export type { ExpectedEvent, SpecificationOptions } from './specification.ts';
