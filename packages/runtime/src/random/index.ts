export { isValidSeed, TickRandom } from './prng.ts';
