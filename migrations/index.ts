import { CreateFoundation1764547200000 } from './1764547200000-CreateFoundation';
import { ImportJobLeases1764806400000 } from './1764806400000-ImportJobLeases';

/** Every migration, oldest first. Listed explicitly so ts-jest and the compiled build load the same set. */
export const migrations = [
  CreateFoundation1764547200000,
  ImportJobLeases1764806400000,
];
