export { assertEntityId, isUuidV7, TickIds, uuidV7Time } from './uuidv7.ts';
export { newEntityId } from './client-random.ts';
